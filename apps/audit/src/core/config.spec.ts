import { randomBytes } from 'node:crypto';
import { ConfigError } from '@warden/platform';
import { loadAuditConfig, outboxSchemaOf } from './config';

const key = randomBytes(32).toString('base64');

describe('audit config', () => {
  it('defaults: 3 years of retention, port 3006, outbox schema next to the trail', () => {
    const config = loadAuditConfig({ AUDIT_SIGNING_KEY: key });
    expect(config.AUDIT_RETENTION_MONTHS).toBe(36);
    expect(config.AUDIT_PORT).toBe(3006);
    expect(outboxSchemaOf(config)).toBe('audit_outbox');
  });

  it('refuses a retention under 6 months, naming the variable', () => {
    expect(() => loadAuditConfig({ AUDIT_SIGNING_KEY: key, AUDIT_RETENTION_MONTHS: '5' })).toThrow(
      /AUDIT_RETENTION_MONTHS: must be at least 6 months/,
    );
    expect(loadAuditConfig({ AUDIT_SIGNING_KEY: key, AUDIT_RETENTION_MONTHS: '6' }).AUDIT_RETENTION_MONTHS).toBe(6);
  });

  it('requires a 32-byte signing key and never echoes it', () => {
    expect(() => loadAuditConfig({})).toThrow(/AUDIT_SIGNING_KEY: is required/);
    const short = randomBytes(16).toString('base64');
    try {
      loadAuditConfig({ AUDIT_SIGNING_KEY: short });
      throw new Error('accepted a short key');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toMatch(/AUDIT_SIGNING_KEY: must be base64 of exactly 32 bytes/);
      expect((error as Error).message).not.toContain(short);
    }
  });
});
