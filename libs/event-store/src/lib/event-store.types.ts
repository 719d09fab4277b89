import type { Actor, EventEnvelope } from '@warden/contracts';
import type { EntityManager } from 'typeorm';

/** An event a decider produced, before the store gives it an id, position and hash. */
export type NewEvent = { type: string; data: Record<string, unknown> };

/** What the edge (HTTP request, consumed message) knows about a command. */
export type CommandMetadata = {
  actor: Actor;
  correlationId: string;
  causationId?: string | null;
  /** The command's time; every event it produces carries it. */
  now: Date;
};

/** `number`: the stream must be at exactly this version (0 = must not exist). */
export type ExpectedVersion = number | 'any';

export type AppendOptions = {
  expectedVersion: ExpectedVersion;
  /**
   * The hash of the stream's event at `expectedVersion`, when the caller has just read the stream
   * (see `aggregate`): saves a round trip. The append still fails with a conflict if the head moved.
   */
  expectedHash?: string;
  metadata: CommandMetadata;
  /** Join an outer transaction (a consumer's inbox record, another stream) instead of opening one. */
  manager?: EntityManager;
  /**
   * The events' data are already what the registry's `validateData` returned for them (the batched
   * appender validates each record as it arrives): they are not validated a second time.
   */
  validated?: boolean;
};

export type AppendResult = { streamVersion: number; events: EventEnvelope[] };

/**
 * A read model kept in the same transaction as the events it is built from, so a client reads its
 * own write.
 */
export type InlineProjection = {
  name: string;
  handles: readonly string[];
  apply(events: readonly EventEnvelope[], manager: EntityManager): Promise<void>;
};

/** Where a reader of the whole log stands: the last (transaction id, global position) it has seen. */
export type LogCheckpoint = { transactionId: string; globalPosition: number };
export const LOG_START: LogCheckpoint = { transactionId: '0', globalPosition: 0 };

/**
 * The pure core of an aggregate: what a command produces given the state, and the state after an
 * event. No I/O, clock or randomness (ids and time arrive in the command or its metadata).
 */
export type Decider<S, C, E extends NewEvent> = {
  initialState: S;
  decide(command: C, state: S): E[];
  evolve(state: S, event: E): S;
};
