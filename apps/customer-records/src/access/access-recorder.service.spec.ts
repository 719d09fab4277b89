import { systemActor } from '@warden/contracts';
import type { BatchedAppender } from '@warden/event-store';
import { AccessRecorder } from './access-recorder.service';
import { AccessAuditUnavailableError } from './access.exception';

const metadata = { actor: systemActor('test'), correlationId: 'c1', now: new Date('2030-06-01T12:00:00.000Z') };
const event = {
  type: 'CustomerViewed' as const,
  data: { readerId: 'u1', customerId: '01a224c1-0000-7000-8000-00000000c001', fieldsInClear: ['name'], fieldsMasked: [] },
};

describe('AccessRecorder', () => {
  it("appends to the reader's access stream", async () => {
    const calls: unknown[] = [];
    const appender = { record: async (...args: unknown[]) => void calls.push(args) } as unknown as BatchedAppender;
    await new AccessRecorder(appender).record('u1', event, metadata);
    expect(calls).toEqual([['access-u1', [event], metadata]]);
  });

  it('fails closed with 503 ACCESS_AUDIT_UNAVAILABLE when the batch fails, without the cause in the message', async () => {
    const appender = {
      record: async () => {
        throw new Error('connection terminated: secret detail');
      },
    } as unknown as BatchedAppender;
    const attempt = new AccessRecorder(appender).record('u1', event, metadata);
    await expect(attempt).rejects.toBeInstanceOf(AccessAuditUnavailableError);
    await expect(attempt).rejects.toMatchObject({ status: 503, code: 'ACCESS_AUDIT_UNAVAILABLE' });
    await expect(attempt).rejects.not.toThrow(/secret/);
  });
});
