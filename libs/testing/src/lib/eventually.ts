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

/** Waits until a relay's checkpoint has passed `globalPosition`. */
export async function waitForCheckpoint(
  relay: { checkpoint(): Promise<{ globalPosition: number }> },
  globalPosition: number,
  timeoutMs = 30_000,
): Promise<void> {
  await expectEventually(
    async () => {
      const { globalPosition: at } = await relay.checkpoint();
      if (at < globalPosition) throw new Error(`relay checkpoint at ${at}, waiting for ${globalPosition}`);
    },
    { timeoutMs, intervalMs: 50 },
  );
}
