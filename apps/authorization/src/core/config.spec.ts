import { ConfigError } from '@warden/platform';
import { loadAuthorizationConfig } from './config';

const keks = `1:${Buffer.alloc(32, 7).toString('base64')}`;

describe('authorization config', () => {
  it('has the documented defaults', () => {
    const config = loadAuthorizationConfig({ WARDEN_KEKS: keks });
    expect(config).toMatchObject({
      AUTHORIZATION_PORT: 3001,
      AUTHORIZATION_DB_SCHEMA: 'authorization',
      WARDEN_ADMIN_USERNAME: 'admin',
      ACCESS_TOKEN_TTL_SECONDS: 900,
      REFRESH_TOKEN_TTL_SECONDS: 30 * 24 * 3600,
      AUTH_ISSUER: 'warden-authorization',
      AUTH_AUDIENCE: 'warden',
      TRUSTED_PROXIES: ['loopback'],
      AUTH_JWKS_URL: 'http://127.0.0.1:3001/.well-known/jwks.json',
    });
    expect(config.WARDEN_ADMIN_PASSWORD).toBeUndefined();
  });

  it('verifies tokens against its own JWKS on its own port unless told otherwise', () => {
    expect(loadAuthorizationConfig({ WARDEN_KEKS: keks, AUTHORIZATION_PORT: '4001', HOST: '0.0.0.0' }).AUTH_JWKS_URL).toBe(
      'http://127.0.0.1:4001/.well-known/jwks.json',
    );
  });

  it('requires WARDEN_ADMIN_PASSWORD in production, naming it', () => {
    expect(() => loadAuthorizationConfig({ WARDEN_KEKS: keks, NODE_ENV: 'production' })).toThrow(ConfigError);
    expect(() => loadAuthorizationConfig({ WARDEN_KEKS: keks, NODE_ENV: 'production' })).toThrow(/WARDEN_ADMIN_PASSWORD: is required when NODE_ENV=production/);
    expect(loadAuthorizationConfig({ WARDEN_KEKS: keks, NODE_ENV: 'production', WARDEN_ADMIN_PASSWORD: 'x'.repeat(16) })).toBeDefined();
  });

  it('requires a valid WARDEN_KEKS keyring, naming it without echoing the key', () => {
    expect(() => loadAuthorizationConfig({})).toThrow(/WARDEN_KEKS: is required/);
    const short = `1:${Buffer.alloc(16, 1).toString('base64')}`;
    let message = '';
    try {
      loadAuthorizationConfig({ WARDEN_KEKS: short });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/WARDEN_KEKS: .*must be 32 bytes/);
    expect(message).not.toContain(short.slice(2));
  });

  it('parses TRUSTED_PROXIES as a list and refuses nonsense', () => {
    expect(loadAuthorizationConfig({ WARDEN_KEKS: keks, TRUSTED_PROXIES: 'loopback, 10.0.0.0/8' }).TRUSTED_PROXIES).toEqual([
      'loopback',
      '10.0.0.0/8',
    ]);
    expect(() => loadAuthorizationConfig({ WARDEN_KEKS: keks, TRUSTED_PROXIES: 'everyone' })).toThrow(/TRUSTED_PROXIES/);
  });

  it('parses WARDEN_SERVICE_CLIENTS into digests, and refuses a short secret naming the client, not the secret', () => {
    const secret = 's'.repeat(32);
    const config = loadAuthorizationConfig({ WARDEN_KEKS: keks, WARDEN_SERVICE_CLIENTS: `exports=${secret}` });
    expect(config.WARDEN_SERVICE_CLIENTS.map((c) => c.clientId)).toEqual(['exports']);
    expect(loadAuthorizationConfig({ WARDEN_KEKS: keks }).WARDEN_SERVICE_CLIENTS).toEqual([]);
    let message = '';
    try {
      loadAuthorizationConfig({ WARDEN_KEKS: keks, WARDEN_SERVICE_CLIENTS: 'audit=tooshort-secret' });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/WARDEN_SERVICE_CLIENTS: the secret of audit must have at least 32 characters/);
    expect(message).not.toContain('tooshort-secret');
  });

  it('takes WARDEN_SCIM_TOKEN when it has 32+ characters, none when empty, and refuses a short one without echoing it', () => {
    expect(loadAuthorizationConfig({ WARDEN_KEKS: keks }).WARDEN_SCIM_TOKEN).toBeUndefined();
    expect(loadAuthorizationConfig({ WARDEN_KEKS: keks, WARDEN_SCIM_TOKEN: '' }).WARDEN_SCIM_TOKEN).toBeUndefined();
    expect(loadAuthorizationConfig({ WARDEN_KEKS: keks, WARDEN_SCIM_TOKEN: 't'.repeat(32) }).WARDEN_SCIM_TOKEN).toBe('t'.repeat(32));
    let message = '';
    try {
      loadAuthorizationConfig({ WARDEN_KEKS: keks, WARDEN_SCIM_TOKEN: 'short-scim-token' });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/WARDEN_SCIM_TOKEN: must be at least 32 characters long/);
    expect(message).not.toContain('short-scim-token');
  });
});
