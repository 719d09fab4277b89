import { ConfigError } from '@warden/platform';
import { loadGatewayConfig } from './config';

describe('gateway config', () => {
  it('finds every service on 127.0.0.1 at its port variable, else its default port', () => {
    const config = loadGatewayConfig({ CUSTOMER_RECORDS_PORT: '4002' });
    expect(config.GATEWAY_PORT).toBe(3000);
    expect(config.services).toEqual({
      authorization: 'http://127.0.0.1:3001',
      'customer-records': 'http://127.0.0.1:4002',
      exports: 'http://127.0.0.1:3003',
      offboarding: 'http://127.0.0.1:3004',
      'anomaly-alerting': 'http://127.0.0.1:3005',
      audit: 'http://127.0.0.1:3006',
    });
  });

  it('takes an explicit base URL over the port, without its trailing slash', () => {
    expect(loadGatewayConfig({ AUDIT_URL: 'https://audit.internal/', AUDIT_PORT: '9' }).services.audit).toBe(
      'https://audit.internal',
    );
  });

  it('trusts no proxy unless told, and names a bad variable', () => {
    expect(loadGatewayConfig({}).GATEWAY_TRUSTED_PROXIES).toEqual([]);
    expect(
      loadGatewayConfig({ GATEWAY_TRUSTED_PROXIES: 'loopback, 10.0.0.0/8' }).GATEWAY_TRUSTED_PROXIES,
    ).toEqual(['loopback', '10.0.0.0/8']);
    expect(() => loadGatewayConfig({ EXPORTS_URL: 'ftp://x' })).toThrow(ConfigError);
    expect(() => loadGatewayConfig({ GATEWAY_RATE_LIMIT_MAX: '0' })).toThrow(/GATEWAY_RATE_LIMIT_MAX/);
    expect(() => loadGatewayConfig({ GATEWAY_TRUSTED_PROXIES: 'everyone' })).toThrow(
      /GATEWAY_TRUSTED_PROXIES/,
    );
  });
});
