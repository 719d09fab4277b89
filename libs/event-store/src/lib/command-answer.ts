import { commandAnswerStreamId, type Actor } from '@warden/contracts';
import type { EntityManager } from 'typeorm';
import type { EventStore } from './event-store';
import type { NewEvent } from './event-store.types';

/** The command being answered, as the receiver decoded it. */
export type AnsweredCommand = { commandId: string; correlationId: string };

/**
 * Appends the answer to a saga command (`CommandCompleted`, `CommandRejected` or a command's own
 * answer event) as the one event of the command's answer stream (`command-<commandId>`), with the
 * command's id as causation id and its correlation id. A command answered already is not answered
 * again (a redelivery that escaped the inbox); whether this call appended. Run it in the
 * transaction that records the command in the inbox, so the answer and "handled" commit together.
 */
export async function appendCommandAnswer(
  store: EventStore,
  command: AnsweredCommand,
  answer: NewEvent,
  { actor, now = new Date(), manager }: { actor: Actor; now?: Date; manager?: EntityManager },
): Promise<boolean> {
  const streamId = commandAnswerStreamId(command.commandId);
  if ((await store.readStream(streamId, manager)).length > 0) return false;
  await store.append(streamId, [answer], {
    expectedVersion: 0,
    metadata: { actor, correlationId: command.correlationId, causationId: command.commandId, now },
    manager,
  });
  return true;
}
