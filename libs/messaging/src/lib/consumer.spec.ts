import type { Kafka } from 'kafkajs';
import type { DataSource } from 'typeorm';
import { eventRegistry } from '@warden/contracts';
import { EventConsumer } from './consumer';

/** A kafkajs client whose consumer's `disconnect` resolves as the test says. */
function kafkaWith(disconnect: () => Promise<void>): Kafka {
  return { consumer: () => ({ disconnect }) } as unknown as Kafka;
}

function consumerOf(kafka: Kafka, warn: jest.Mock, stopTimeoutMs?: number): EventConsumer {
  return new EventConsumer({
    kafka,
    groupId: 'spec-group',
    topics: ['spec-topic'],
    dataSource: {} as DataSource,
    schema: 'spec',
    registry: eventRegistry,
    handle: async () => undefined,
    stopTimeoutMs,
    logger: { info: jest.fn(), warn, error: jest.fn() } as never,
  });
}

describe('EventConsumer.stop', () => {
  it('stops waiting for a disconnect that never completes once the bound has passed, and says so', async () => {
    const warn = jest.fn();
    const consumer = consumerOf(kafkaWith(() => new Promise<void>(() => undefined)), warn, 50);

    await expect(consumer.stop()).resolves.toBeUndefined();

    expect(warn).toHaveBeenCalledWith(
      'consumer did not leave its group in time; stopping without waiting',
      expect.objectContaining({ groupId: 'spec-group', timeoutMs: 50 }),
    );
  });

  it('returns as soon as the consumer has left its group, without a warning', async () => {
    const warn = jest.fn();
    const disconnect = jest.fn(async () => undefined);
    const consumer = consumerOf(kafkaWith(disconnect), warn, 60_000);

    await consumer.stop();

    expect(disconnect).toHaveBeenCalledTimes(1);
    expect(warn).not.toHaveBeenCalled();
  });
});
