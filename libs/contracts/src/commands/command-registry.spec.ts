import { ContractViolation } from '../lib/registry';
import { systemActor } from '../lib/envelope';
import { CommandRegistry } from './command-registry';

const commandId = '01940000-0000-7000-8000-0000000000e1';
const command = (overrides: Record<string, unknown> = {}) => ({
  commandId,
  type: 'FreezeUserAccess',
  issuedAt: '2030-03-01T09:00:00.000Z',
  actor: systemActor('offboarding'),
  correlationId: '01940000-0000-7000-8000-0000000000c1',
  data: { userId: '01940000-0000-7000-8000-0000000000a1', reason: 'offboarding:case' },
  ...overrides,
});
const bytes = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value));

describe('CommandRegistry', () => {
  const registry = new CommandRegistry(['FreezeUserAccess', 'MarkUserDeparting'], 'authorization');

  it('hands a command over as an envelope whose id is the command id (the inbox dedupes by it)', () => {
    const envelope = registry.decodeBuffer(bytes(command()));
    expect(envelope).toMatchObject({
      eventId: commandId,
      type: 'FreezeUserAccess',
      streamId: `command-${commandId}`,
      correlationId: '01940000-0000-7000-8000-0000000000c1',
      causationId: null,
      occurredAt: '2030-03-01T09:00:00.000Z',
      data: { userId: '01940000-0000-7000-8000-0000000000a1', reason: 'offboarding:case' },
    });
  });

  it('refuses what is not one of its commands, naming the field and never the content', () => {
    const refused = (value: unknown): ContractViolation => {
      try {
        registry.decodeBuffer(value === null ? null : bytes(value));
      } catch (error) {
        expect(error).toBeInstanceOf(ContractViolation);
        return error as ContractViolation;
      }
      throw new Error('accepted');
    };
    expect(refused(null).issues).toEqual(['(root): no value']);
    expect(refused('{"secret-value": ').issues).toEqual(['(root): not valid JSON']);
    expect(refused(command({ type: 'TransferCustomers' })).issues).toEqual(['type: TransferCustomers is not a command of authorization']);
    expect(refused(command({ type: 'freeze' })).issues[0]).toMatch(/^type: must be a PascalCase command name/);
    expect(refused(command({ commandId: 'x' })).issues[0]).toMatch(/^commandId:/);
    const bad = refused(command({ data: { userId: '', reason: 'secret-value' } }));
    expect(bad.issues).toEqual([expect.stringMatching(/^userId:/)]);
    expect(bad.message).not.toContain('secret-value');
    expect(refused(command({ type: 'MarkUserDeparting', data: { userId: 'u1', effectiveAt: 'tomorrow' } })).issues).toEqual([
      expect.stringMatching(/^effectiveAt:/),
    ]);
  });
});
