import { rateLimitBucket, resolveServiceRoute } from './service-route.util';

describe('resolveServiceRoute', () => {
  it('forwards the versioned API of a known service, query included', () => {
    expect(resolveServiceRoute('/api/customer-records/v1/customers?mobile=1&limit=5')).toEqual({
      kind: 'forward',
      service: 'customer-records',
      path: '/v1/customers?mobile=1&limit=5',
    });
    expect(resolveServiceRoute('/api/authorization/.well-known/jwks.json')).toEqual({
      kind: 'forward',
      service: 'authorization',
      path: '/.well-known/jwks.json',
    });
  });

  it('names a service it does not know', () => {
    expect(resolveServiceRoute('/api/payroll/v1/x')).toEqual({ kind: 'unknown-service', service: 'payroll' });
    expect(resolveServiceRoute('/api')).toEqual({ kind: 'unknown-service', service: '' });
  });

  it('does not forward health, metrics, docs or dot segments', () => {
    for (const path of [
      '/metrics',
      '/health/ready',
      '/docs',
      '/',
      '/v1/../metrics',
      '/v1/%2e%2e/metrics',
      '/v1%2f..%2fmetrics',
    ]) {
      expect(resolveServiceRoute(`/api/authorization${path}`)).toMatchObject({ kind: 'not-forwarded' });
    }
  });

  it('leaves paths outside /api to the console', () => {
    expect(resolveServiceRoute('/customers/42')).toBeNull();
    expect(resolveServiceRoute('/apiary')).toBeNull();
  });
});

describe('rateLimitBucket', () => {
  it('puts the sign-in calls of the authorization service in their own bucket', () => {
    expect(rateLimitBucket({ service: 'authorization', path: '/v1/auth/login' })).toBe('auth');
    expect(rateLimitBucket({ service: 'authorization', path: '/v1/users' })).toBe('api');
    expect(rateLimitBucket({ service: 'customer-records', path: '/v1/auth/login' })).toBe('api');
  });
});
