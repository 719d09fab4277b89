/** One Server-Sent Event as the alert stream sends it: `id`, `event` (the alert event type) and the envelope. */
export type StreamedAlertEvent = { id: string; type: string; envelope: { type: string; data: Record<string, unknown> } };

export type AlertStreamReader = {
  /** Every event received so far, in order. */
  readonly events: StreamedAlertEvent[];
  /** Why the stream ended, if it did (it should stay open until `close`). */
  readonly ended: string | null;
  close(): void;
};

/**
 * Listens to `GET /v1/alerts/stream` (SSE) through the gateway from now on, as a security console
 * would, and keeps every event it receives. Resolves once the stream answered 200.
 */
export async function openAlertStream(url: string, token: string): Promise<AlertStreamReader> {
  const controller = new AbortController();
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' }, signal: controller.signal });
  if (res.status !== 200 || !res.body) throw new Error(`alert stream: expected 200, got ${res.status} ${await res.text()}`);
  const events: StreamedAlertEvent[] = [];
  const state: { ended: string | null } = { ended: null };
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buffered = '';
  const onBlock = (block: string) => {
    const fields: Record<string, string> = {};
    for (const line of block.split('\n')) {
      if (!line || line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const name = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      fields[name] = fields[name] === undefined ? value : `${fields[name]}\n${value}`;
    }
    if (fields['data'] === undefined || !fields['event']) return;
    events.push({ id: fields['id'] ?? '', type: fields['event'], envelope: JSON.parse(fields['data']) as StreamedAlertEvent['envelope'] });
  };
  void (async () => {
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) {
          state.ended = 'the server closed the stream';
          return;
        }
        buffered += decoder.decode(value, { stream: true });
        let end = buffered.indexOf('\n\n');
        while (end >= 0) {
          onBlock(buffered.slice(0, end));
          buffered = buffered.slice(end + 2);
          end = buffered.indexOf('\n\n');
        }
      }
    } catch (error) {
      state.ended = controller.signal.aborted ? 'closed' : `stream error: ${(error as Error).message}`;
    }
  })();
  return {
    events,
    get ended() {
      return state.ended;
    },
    close: () => controller.abort(),
  };
}
