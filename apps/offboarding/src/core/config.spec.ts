import { ConfigError } from '@warden/platform';
import { loadOffboardingConfig } from './config';

const secret = 's'.repeat(32);

describe('offboarding config', () => {
  it('has defaults for everything but the client secret', () => {
    const config = loadOffboardingConfig({ SERVICE_CLIENT_SECRET: secret });
    expect(config).toMatchObject({
      OFFBOARDING_PORT: 3004,
      OFFBOARDING_DB_SCHEMA: 'offboarding',
      AUTHORIZATION_URL: 'http://127.0.0.1:3001',
      SERVICE_CLIENT_ID: 'offboarding',
      OFFBOARDING_MAX_ATTEMPTS: 5,
      OFFBOARDING_REPORT_DAYS: 90,
      OFFBOARDING_ANSWER_TIMEOUT_MS: 30_000,
    });
    expect(config.OFFBOARDING_SCIM_SUCCESSOR_POOL_ID).toBeUndefined();
  });

  it('stops the boot naming a missing client secret', () => {
    expect(() => loadOffboardingConfig({})).toThrow(ConfigError);
    expect(() => loadOffboardingConfig({})).toThrow(/SERVICE_CLIENT_SECRET: is required/);
  });

  it('names a bad variable', () => {
    expect(() => loadOffboardingConfig({ SERVICE_CLIENT_SECRET: secret, AUTHORIZATION_URL: 'ftp://x' })).toThrow(/AUTHORIZATION_URL/);
    expect(() => loadOffboardingConfig({ SERVICE_CLIENT_SECRET: secret, OFFBOARDING_SCIM_SUCCESSOR_POOL_ID: 'team' })).toThrow(
      /OFFBOARDING_SCIM_SUCCESSOR_POOL_ID/,
    );
  });

  it('drops a trailing slash of the service URLs', () => {
    expect(loadOffboardingConfig({ SERVICE_CLIENT_SECRET: secret, AUTHORIZATION_URL: 'http://a:1/' }).AUTHORIZATION_URL).toBe('http://a:1');
  });
});
