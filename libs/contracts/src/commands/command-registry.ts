import { GENESIS_HASH } from '../lib/hash-chain';
import type { EventEnvelope } from '../lib/envelope';
import { ContractViolation, describeIssues, EventRegistry } from '../lib/registry';
import { commandEnvelopeSchema, commandSchemas, type CommandType } from './commands';

/**
 * Lets the shared `EventConsumer` (contract check, inbox dedupe, retries, dead letters) consume a
 * service's commands topic: a message is validated against `commandEnvelopeSchema` and the schema of
 * its command, and handed to the handler as an envelope whose `eventId` is the `commandId` (so the
 * inbox drops a redelivered command by its id) and whose `type` is the command's. Anything else (not
 * JSON, a command of another service, a bad payload) is a `ContractViolation`: the consumer
 * dead-letters it, naming the field, never repeating the message's content.
 */
export class CommandRegistry extends EventRegistry {
  private readonly accepted: ReadonlySet<CommandType>;

  constructor(
    accepted: readonly CommandType[],
    private readonly receiver: string,
  ) {
    super();
    this.accepted = new Set(accepted);
  }

  override decodeBuffer(value: Buffer | null): EventEnvelope {
    if (!value || value.length === 0) throw new ContractViolation('empty message', ['(root): no value']);
    let json: unknown;
    try {
      json = JSON.parse(value.toString('utf8'));
    } catch {
      throw new ContractViolation('message is not JSON', ['(root): not valid JSON']);
    }
    return this.decode(json);
  }

  override decode(raw: unknown): EventEnvelope {
    const envelope = commandEnvelopeSchema.safeParse(raw);
    if (!envelope.success) throw new ContractViolation('invalid command envelope', describeIssues(envelope.error));
    const { commandId, type, issuedAt, actor, correlationId } = envelope.data;
    if (!this.accepted.has(type as CommandType)) {
      throw new ContractViolation('unknown command', [`type: ${type} is not a command of ${this.receiver}`]);
    }
    const data = commandSchemas[type as CommandType].safeParse(envelope.data.data);
    if (!data.success) throw new ContractViolation(`invalid ${type} data`, describeIssues(data.error));
    return {
      eventId: commandId,
      type,
      schemaVersion: 1,
      streamId: `command-${commandId}`,
      streamVersion: 1,
      globalPosition: 1,
      occurredAt: issuedAt,
      actor,
      correlationId,
      causationId: null,
      data: data.data as Record<string, unknown>,
      prevHash: GENESIS_HASH,
      hash: GENESIS_HASH,
    };
  }
}
