const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Retries `assertion` until it passes or `timeoutMs` runs out, then fails with its last error.
 * For effects that arrive asynchronously (a relay, a consumer), never for timing a feature.
 */
export async function expectEventually<T>(
  assertion: () => T | Promise<T>,
  { timeoutMs = 15_000, intervalMs = 100 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await assertion();
    } catch (error) {
      if (Date.now() >= deadline) throw error;
      await sleep(intervalMs);
    }
  }
}

/** A position in an event log: ordered by transaction id, then global position. */
export type LogPosition = { transactionId: string; globalPosition: number };

const compareLogPositions = (a: LogPosition, b: LogPosition): number => {
  const byTransaction = BigInt(a.transactionId) - BigInt(b.transactionId);
  if (byTransaction !== 0n) return byTransaction < 0n ? -1 : 1;
  return a.globalPosition - b.globalPosition;
};

/**
 * Waits until a relay's checkpoint has reached `target`. The log is ordered by (transaction id,
 * global position), and concurrent writers can commit a higher position under a lower transaction
 * id, so the target is the log's last entry in that order (see `logEnd`), not the highest position.
 */
export async function waitForCheckpoint(
  relay: { checkpoint(): Promise<LogPosition> },
  target: LogPosition,
  timeoutMs = 30_000,
): Promise<void> {
  await expectEventually(
    async () => {
      const at = await relay.checkpoint();
      if (compareLogPositions(at, target) < 0) {
        throw new Error(
          `relay checkpoint at (${at.transactionId}, ${at.globalPosition}), waiting for (${target.transactionId}, ${target.globalPosition})`,
        );
      }
    },
    { timeoutMs, intervalMs: 50 },
  );
}

/** The last entry of the event log in `schema`, in the relay's order. */
export async function logEnd(
  dataSource: { query(sql: string): Promise<Array<{ transaction_id: string; global_position: string }>> },
  schema: string,
): Promise<LogPosition> {
  const [last] = await dataSource.query(
    `SELECT transaction_id::text AS transaction_id, global_position::text AS global_position
       FROM "${schema}".events ORDER BY transaction_id DESC, global_position DESC LIMIT 1`,
  );
  if (!last) throw new Error(`the event log in ${schema} is empty`);
  return { transactionId: last.transaction_id, globalPosition: Number(last.global_position) };
}
