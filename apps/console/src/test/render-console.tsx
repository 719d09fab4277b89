// The console's providers around one component in jsdom, signed in as a person with the given roles,
// and the gateway played by a table of answers (the component tests check what the component does
// with answers; the browser suites check the real services).
import { MantineProvider } from '@mantine/core';
import { Notifications } from '@mantine/notifications';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { render, type RenderResult } from '@testing-library/react';
import { useState, type ReactElement, type ReactNode } from 'react';
import { MemoryRouter } from 'react-router-dom';
import { ConsoleProvider, useConsole } from '../console-context';

export type Call = { method: string; path: string; body: unknown };
/** A JSON body, or a stream of text (`text/event-stream`) the test writes to as it goes. */
export type Answer = { status: number; body?: unknown; stream?: ReadableStream<Uint8Array> };
/** `METHOD /path?query` → the answer (a function sees the request body). */
export type Routes = Record<string, Answer | ((call: Call) => Answer)>;

const toBase64Url = (text: string): string =>
  btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

/** An access token with the claims the console reads (unsigned: the console does not verify it). */
export function accessTokenFor(person: { userId: string; username: string; roles: string[] }): string {
  const payload = {
    sub: person.userId,
    sid: 'session-1',
    username: person.username,
    roles: person.roles,
    exp: Math.floor(Date.now() / 1000) + 900,
  };
  return `${toBase64Url('{"alg":"none"}')}.${toBase64Url(JSON.stringify(payload))}.signature`;
}

/** A `fetch` answering from `routes`; every call is recorded, an unknown one is a 404 (and recorded). */
export function fakeGateway(routes: Routes): { fetch: typeof window.fetch; calls: Call[] } {
  const calls: Call[] = [];
  const fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const method = init?.method ?? 'GET';
    const path = String(input);
    const call: Call = { method, path, body: typeof init?.body === 'string' ? JSON.parse(init.body) : undefined };
    calls.push(call);
    const route = routes[`${method} ${path}`];
    const answer: Answer = route
      ? typeof route === 'function'
        ? route(call)
        : route
      : { status: 404, body: { code: 'NOT_FOUND', message: `no answer for ${method} ${path}` } };
    const text = answer.body === undefined ? '' : JSON.stringify(answer.body);
    const contentType = answer.stream ? 'text/event-stream' : 'application/json';
    return {
      status: answer.status,
      ok: answer.status >= 200 && answer.status < 300,
      headers: { get: (name: string) => (name.toLowerCase() === 'content-type' ? contentType : null) },
      body: answer.stream ?? null,
      text: async () => text,
      json: async () => JSON.parse(text) as unknown,
    } as unknown as Response;
  };
  return { fetch: fetch as typeof window.fetch, calls };
}

function SignedIn({ token, children }: { token: string; children: ReactNode }) {
  const { tokens } = useConsole();
  // Before the first render of the children: they see a signed-in person at once.
  useState(() => tokens.set({ accessToken: token, refreshToken: 'refresh-token' }));
  return children;
}

/** A server-sent event stream the test writes events to (`send`) while the component reads it. */
export function eventStream(): { stream: ReadableStream<Uint8Array>; send: (data: unknown, id: string) => void } {
  let controller: ReadableStreamDefaultController<Uint8Array> | null = null;
  const stream = new ReadableStream<Uint8Array>({
    start: (c) => {
      controller = c;
    },
  });
  const encoder = new TextEncoder();
  return {
    stream,
    send: (data, id) => controller?.enqueue(encoder.encode(`id: ${id}\ndata: ${JSON.stringify(data)}\n\n`)),
  };
}

export type ConsoleRender = RenderResult & { calls: Call[] };

/** Renders `ui` in the console's providers, signed in as `person`, with the gateway's answers from `routes`. */
export function renderInConsole(
  ui: ReactElement,
  { person, routes }: { person: { userId: string; username: string; roles: string[] }; routes: Routes },
): ConsoleRender {
  const gateway = fakeGateway(routes);
  window.fetch = gateway.fetch;
  const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false }, mutations: { retry: false } } });
  const result = render(
    <MantineProvider>
      <Notifications />
      <QueryClientProvider client={queryClient}>
        <ConsoleProvider onSignedOut={() => undefined}>
          <SignedIn token={accessTokenFor(person)}>
            <MemoryRouter>{ui}</MemoryRouter>
          </SignedIn>
        </ConsoleProvider>
      </QueryClientProvider>
    </MantineProvider>,
  );
  return { ...result, calls: gateway.calls };
}
