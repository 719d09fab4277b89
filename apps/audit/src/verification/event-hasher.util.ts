import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { Worker } from 'node:worker_threads';

type Reply = { id: number; hashes: Array<string | null> };

/**
 * Recomputes events' hashes on worker threads (at most `availableParallelism() − 1`, at least one),
 * so that verification hashes one batch while the main thread reads and checks the next. The
 * workers run the contracts' own `hashEvent`; they start from source like the app (swc-node).
 */
export class EventHasher {
  private readonly workers: Worker[];
  private readonly waiting = new Map<number, { resolve: (reply: Reply) => void; reject: (error: Error) => void }>();
  private nextId = 0;

  constructor(count = Math.max(1, Math.min(3, availableParallelism() - 1))) {
    const file = resolve(__dirname, `event-hash.worker${__filename.endsWith('.ts') ? '.ts' : '.js'}`);
    const boot = file.endsWith('.ts')
      ? [
          `process.env.SWC_NODE_PROJECT = process.env.SWC_NODE_PROJECT || ${JSON.stringify(resolve(__dirname, '../../../../tsconfig.base.json'))};`,
          `require(${JSON.stringify(require.resolve('@swc-node/register'))});`,
          `require(${JSON.stringify(file)});`,
        ].join('\n')
      : `require(${JSON.stringify(file)});`;
    this.workers = Array.from({ length: count }, () => {
      const worker = new Worker(boot, { eval: true });
      worker.on('message', (reply: Reply) => {
        this.waiting.get(reply.id)?.resolve(reply);
        this.waiting.delete(reply.id);
      });
      worker.on('error', (error) => this.failAll(error));
      worker.on('exit', (code) => {
        if (code !== 0) this.failAll(new Error(`an event hashing worker exited with ${code}`));
      });
      return worker;
    });
  }

  /** The hash recomputed from each text (`null`: not an envelope that can be hashed), in order. */
  async hash(texts: readonly string[]): Promise<Array<string | null>> {
    const share = Math.ceil(texts.length / this.workers.length);
    const parts = await Promise.all(
      this.workers.map((worker, w) => {
        const slice = texts.slice(w * share, (w + 1) * share);
        if (slice.length === 0) return Promise.resolve<Array<string | null>>([]);
        const id = this.nextId++;
        return new Promise<Array<string | null>>((done, fail) => {
          this.waiting.set(id, { resolve: (reply) => done(reply.hashes), reject: fail });
          worker.postMessage({ id, texts: slice });
        });
      }),
    );
    return parts.flat();
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.terminate()));
  }

  private failAll(error: Error): void {
    for (const { reject } of this.waiting.values()) reject(error);
    this.waiting.clear();
  }
}
