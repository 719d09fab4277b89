// A worker thread of `EventHasher`: recomputes each event's hash from its stored text (JSON parse,
// RFC 8785 canonical JSON, SHA-256 — `hashEvent` of the contracts); `null` when it cannot.
import { parentPort } from 'node:worker_threads';
import { hashEvent, type EventEnvelope } from '@warden/contracts';

const recompute = (text: string): string | null => {
  try {
    const event = JSON.parse(text) as EventEnvelope;
    return hashEvent(event.prevHash, event);
  } catch {
    return null;
  }
};

parentPort?.on('message', ({ id, texts }: { id: number; texts: string[] }) => {
  parentPort?.postMessage({ id, hashes: texts.map(recompute) });
});
