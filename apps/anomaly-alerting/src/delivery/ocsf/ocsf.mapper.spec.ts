import type { EventEnvelope } from '@warden/contracts';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { authentication, authenticationMessages, OCSF_VERSION } from './ocsf.mapper';

const schema = JSON.parse(readFileSync(resolve(__dirname, '../../test/ocsf/authentication-1.8.0.schema.json'), 'utf8'));
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
const validAuthentication = ajv.compile(schema);

const envelope = (type: string, data: Record<string, unknown>, streamId = `session-${type}`): EventEnvelope => ({
  eventId: '0192f000-0000-7000-8000-000000000001',
  type,
  schemaVersion: 1,
  streamId,
  streamVersion: 1,
  occurredAt: '2026-11-30T09:00:00.000Z',
  actor: { userId: 'u-1', sessionId: null, ip: '81.2.69.142', userAgent: null, deviceId: null },
  correlationId: 'c-1',
  causationId: null,
  data,
  globalPosition: 1,
  prevHash: '0'.repeat(64),
  hash: '1'.repeat(64),
});

describe('OCSF Authentication records', () => {
  const succeeded = envelope('LoginSucceeded', { userId: 'u-1', sessionId: 's-1', mfa: true, geo: { country: 'GB', city: 'London' } }, 'session-s-1');
  const failed = envelope('LoginFailed', { usernameHash: 'h'.repeat(64), reason: 'bad_password' }, 'login-h');
  const other = envelope('CustomersListed', { userId: 'u-1', count: 3 });

  it('maps a successful and a failed login to valid 1.8.0 records, and nothing else', () => {
    const ok = authentication(succeeded);
    const ko = authentication(failed);
    for (const record of [ok, ko]) expect(validAuthentication(record) ? [] : validAuthentication.errors).toEqual([]);
    expect(ok).toMatchObject({ class_uid: 3002, status_id: 1, is_mfa: true, user: { uid: 'u-1' }, metadata: { uid: succeeded.eventId } });
    expect(ko).toMatchObject({ status_id: 2, status_detail: 'bad_password', user: { uid_alt: 'h'.repeat(64) } });
    expect(authentication(other)).toBeNull();
  });

  it('gives one message per login, keyed by its stream, with the OCSF version header', () => {
    const messages = authenticationMessages([other, succeeded, failed]);
    expect(messages.map((m) => m.key)).toEqual(['session-s-1', 'login-h']);
    expect(messages.every((m) => m.headers['ocsf-version'] === OCSF_VERSION)).toBe(true);
    expect(JSON.parse(messages[0].value)).toEqual(authentication(succeeded));
    expect(authenticationMessages([other])).toEqual([]);
  });
});
