import { EventRegistry, systemActor } from '@warden/contracts';
import { z } from 'zod';
import type { CommandMetadata } from '../lib/event-store.types';

/** A registry with one event type, for the event store's own tests. */
export const testRegistry = new EventRegistry().register({
  type: 'CounterIncremented',
  versions: { 1: z.strictObject({ by: z.number().int(), writer: z.number().int().optional() }) },
});

export const metadata = (): CommandMetadata => ({
  actor: systemActor('event-store-test'),
  correlationId: 'test',
  now: new Date(),
});

export const increment = (by: number, writer?: number) => ({
  type: 'CounterIncremented',
  data: writer === undefined ? { by } : { by, writer },
});
