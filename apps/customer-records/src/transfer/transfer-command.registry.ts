import {
  ContractViolation,
  commandEnvelopeSchema,
  describeIssues,
  EventRegistry,
  GENESIS_HASH,
  transferCustomersCommand,
  type EventEnvelope,
} from '@warden/contracts';

/**
 * Lets the shared `EventConsumer` (contract check, inbox dedupe, retries, dead letters) consume
 * the `TransferCustomers` command: a command message is validated against `commandEnvelopeSchema`
 * and the command's schema, and handed to the handler in an envelope whose `eventId` is the
 * `commandId`, so the inbox drops a redelivered command by its id. Anything else (not JSON, another
 * command type, a bad payload) is a `ContractViolation`: the consumer dead-letters it.
 */
export class TransferCommandRegistry extends EventRegistry {
  override decodeBuffer(value: Buffer | null): EventEnvelope {
    if (!value || value.length === 0) throw new ContractViolation('empty message', ['(root): no value']);
    let json: unknown;
    try {
      json = JSON.parse(value.toString('utf8'));
    } catch {
      throw new ContractViolation('message is not JSON', ['(root): not valid JSON']);
    }
    const envelope = commandEnvelopeSchema.safeParse(json);
    if (!envelope.success) throw new ContractViolation('invalid command envelope', describeIssues(envelope.error));
    const { commandId, type, issuedAt, actor, correlationId } = envelope.data;
    if (type !== 'TransferCustomers') {
      throw new ContractViolation('unknown command', [`type: ${type} is not a command of customer-records`]);
    }
    const data = transferCustomersCommand.safeParse(envelope.data.data);
    if (!data.success) throw new ContractViolation('invalid TransferCustomers data', describeIssues(data.error));
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
      data: data.data,
      prevHash: GENESIS_HASH,
      hash: GENESIS_HASH,
    };
  }
}
