import type { KafkaLogger } from './kafka';

/** What `startWithRetry` starts: an `EventConsumer`, a `BatchConsumer`… */
export type Startable = { start(): Promise<void>; stop(): Promise<void> };

/** A logger as NestJS's `Logger` has it (object first, then the message). */
export type ObjectFirstLogger = {
  log(context: Record<string, unknown>, message: string): void;
  warn(context: Record<string, unknown>, message: string): void;
  error(context: Record<string, unknown>, message: string): void;
};

/** The consumers' logger (message first) writing through a service's logger (object first). */
export function consumerLogger(logger: ObjectFirstLogger): KafkaLogger & { info(message: string, context?: Record<string, unknown>): void } {
  return {
    info: (message, context) => logger.log({ ...context }, message),
    warn: (message, context) => logger.warn({ ...context }, message),
    error: (message, context) => logger.error({ ...context }, message),
  };
}

/**
 * Starts a consumer made by `create`, and while Kafka cannot be reached (a broker down at boot, a
 * topic not creatable yet) stops that one and tries a fresh one after a back-off (`initialMs`
 * doubling up to `maxMs`), so a service serves HTTP while its consumers wait for Kafka. Returns the
 * started consumer, or null when `stopped()` said so first.
 */
export async function startWithRetry<T extends Startable>(
  create: () => T,
  {
    stopped,
    onRetry,
    initialMs = 500,
    maxMs = 10_000,
  }: { stopped: () => boolean; onRetry: (error: Error, retryInMs: number) => void; initialMs?: number; maxMs?: number },
): Promise<T | null> {
  for (let delay = initialMs; !stopped(); delay = Math.min(delay * 2, maxMs)) {
    const consumer = create();
    try {
      await consumer.start();
      return consumer;
    } catch (error) {
      await consumer.stop().catch(() => undefined);
      onRetry(error as Error, delay);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
  return null;
}
