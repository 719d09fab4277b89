// What jsdom lacks and the console's libraries use: text encoding and streams (react-router, the
// token decoder, the SSE reader), media queries and element size observers (Mantine).
import { notifications } from '@mantine/notifications';
import { cleanup } from '@testing-library/react';
import { TextDecoder, TextEncoder } from 'node:util';
import { ReadableStream, TextDecoderStream } from 'node:stream/web';

Object.assign(globalThis, {
  TextEncoder: globalThis.TextEncoder ?? TextEncoder,
  TextDecoder: globalThis.TextDecoder ?? TextDecoder,
  // The alert stream's reader (`src/api/event-stream.ts`).
  ReadableStream: globalThis.ReadableStream ?? ReadableStream,
  TextDecoderStream: globalThis.TextDecoderStream ?? TextDecoderStream,
});

Object.defineProperty(window, 'matchMedia', {
  writable: true,
  value: (query: string): MediaQueryList =>
    ({
      matches: false,
      media: query,
      onchange: null,
      addListener: () => undefined,
      removeListener: () => undefined,
      addEventListener: () => undefined,
      removeEventListener: () => undefined,
      dispatchEvent: () => false,
    }) as MediaQueryList,
});

/** Nothing changes size in jsdom: nothing to report. */
class NoResizeObserver {
  observe(): void {
    return undefined;
  }
  unobserve(): void {
    return undefined;
  }
  disconnect(): void {
    return undefined;
  }
}
window.ResizeObserver = window.ResizeObserver ?? NoResizeObserver;
window.HTMLElement.prototype.scrollIntoView = window.HTMLElement.prototype.scrollIntoView ?? (() => undefined);

// Mantine keeps its notifications in a store of the module: each test starts without the last one's.
afterEach(() => {
  cleanup();
  notifications.clean();
});
