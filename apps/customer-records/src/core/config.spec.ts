import { randomBytes } from 'node:crypto';
import { ConfigError } from '@warden/platform';
import { loadCustomerRecordsConfig } from './config';

const key = () => randomBytes(32).toString('base64');
const valid = () => ({ WARDEN_KEKS: `1:${key()}`, CUSTOMER_RECORDS_BLIND_INDEX_KEY: key() });

/** The ConfigError `env` causes; fails the test when the config loads. */
function configError(env: NodeJS.ProcessEnv): ConfigError {
  try {
    loadCustomerRecordsConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('customer-records config', () => {
  it('loads a keyring and a blind index key', () => {
    const env = valid();
    expect(loadCustomerRecordsConfig(env)).toMatchObject(env);
  });

  it('points at the local authorization service by default, and refuses a URL that is not http(s)', () => {
    expect(loadCustomerRecordsConfig(valid()).AUTHORIZATION_URL).toBe('http://127.0.0.1:3001');
    expect(
      loadCustomerRecordsConfig({ ...valid(), AUTHORIZATION_URL: 'https://authz.internal/' })
        .AUTHORIZATION_URL,
    ).toBe('https://authz.internal');
    expect(configError({ ...valid(), AUTHORIZATION_URL: 'ftp://authz' }).problems).toEqual([
      expect.stringMatching(/^AUTHORIZATION_URL: /),
    ]);
  });

  describe.each(['development', 'test', 'production'])('with NODE_ENV=%s', (NODE_ENV) => {
    it('refuses to boot without CUSTOMER_RECORDS_BLIND_INDEX_KEY, naming it (nothing is derived)', () => {
      const { CUSTOMER_RECORDS_BLIND_INDEX_KEY: _unset, ...env } = valid();
      const error = configError({ ...env, NODE_ENV });
      expect(error.problems).toEqual([
        expect.stringMatching(/^CUSTOMER_RECORDS_BLIND_INDEX_KEY: is required/),
      ]);
    });

    it('refuses to boot without WARDEN_KEKS, naming it', () => {
      const { WARDEN_KEKS: _unset, ...env } = valid();
      expect(configError({ ...env, NODE_ENV }).problems).toEqual([
        expect.stringMatching(/^WARDEN_KEKS: is required/),
      ]);
    });
  });

  it('refuses a blind index key that is not 32 bytes of base64, without repeating it', () => {
    const short = randomBytes(16).toString('base64');
    const error = configError({ ...valid(), CUSTOMER_RECORDS_BLIND_INDEX_KEY: short });
    expect(error.problems).toEqual([expect.stringMatching(/^CUSTOMER_RECORDS_BLIND_INDEX_KEY: /)]);
    expect(error.message).not.toContain(short);
    expect(configError({ ...valid(), CUSTOMER_RECORDS_BLIND_INDEX_KEY: 'not base64!' }).problems).toEqual([
      expect.stringMatching(/^CUSTOMER_RECORDS_BLIND_INDEX_KEY: /),
    ]);
  });

  it('refuses a malformed keyring, without repeating its keys', () => {
    const secret = key();
    const error = configError({ ...valid(), WARDEN_KEKS: `one:${secret}` });
    expect(error.problems).toEqual([expect.stringMatching(/^WARDEN_KEKS: keyring entry 1/)]);
    expect(error.message).not.toContain(secret);
  });
});
