import { accessDeniedV1 } from '@warden/contracts';
import { accessDeniedOf } from './access-denial.service';
import type { ErrorBody } from './errors';

const forbidden = (message: string, code = 'FORBIDDEN'): ErrorBody => ({ statusCode: 403, error: 'Forbidden', message, code });
const USER = '0197a8e0-0000-7000-8000-000000000001';

describe('accessDeniedOf', () => {
  it('names the resource, the read action and the role refusal of a guarded GET', () => {
    const data = accessDeniedOf({ method: 'GET', route: '/v1/alerts', params: {} }, USER, forbidden('requires one of the roles: admin'));
    expect(data).toEqual({ userId: USER, action: 'read', subject: 'Alert', resourceId: null, reason: 'role_required' });
    expect(accessDeniedV1.parse(data)).toEqual(data);
  });

  it('takes the verb segment after the resource as the action and the id parameter as the resource', () => {
    expect(
      accessDeniedOf({ method: 'POST', route: '/v1/alerts/:id/acknowledge', params: { id: 'a1' } }, USER, forbidden('not yours')),
    ).toEqual({ userId: USER, action: 'acknowledge', subject: 'Alert', resourceId: 'a1', reason: 'forbidden' });
  });

  it('maps methods to actions, skips version and internal prefixes, and singularises the subject', () => {
    const of = (method: string, route: string, params: Record<string, unknown> = {}) =>
      accessDeniedOf({ method, route, params }, USER, forbidden('no'));
    expect(of('DELETE', '/v1/webhooks/:id', { id: 'w' })).toMatchObject({ action: 'delete', subject: 'Webhook', resourceId: 'w' });
    expect(of('PUT', '/v1/rules/:id', { id: 'r' })).toMatchObject({ action: 'update', subject: 'Rule' });
    expect(of('POST', '/internal/v1/customers/stream')).toMatchObject({ action: 'stream', subject: 'Customer' });
    expect(of('PATCH', '/v1/policies/:policyId', { policyId: 'p' })).toMatchObject({ action: 'update', subject: 'Policy', resourceId: 'p' });
    expect(of('POST', '/v1/sensitive-fields')).toMatchObject({ action: 'create', subject: 'SensitiveField' });
    expect(of('POST', '/v1/access')).toMatchObject({ subject: 'Access' });
  });

  it('never carries a parameter that is not an id (a search value, an e-mail)', () => {
    const data = accessDeniedOf({ method: 'GET', route: '/v1/customers/by-email/:email', params: { email: 'ada@example.com' } }, USER, forbidden('no'));
    expect(JSON.stringify(data)).not.toContain('ada@example.com');
    expect(data.resourceId).toBeNull();
  });

  it('tells field refusals apart, and falls back to valid words for odd routes', () => {
    expect(accessDeniedOf({ method: 'GET', route: '/v1/customers/:id', params: { id: 'c' } }, USER, forbidden('mobile', 'CUSTOMER_FIELD_FORBIDDEN')).reason).toBe(
      'field_denied',
    );
    const odd = accessDeniedOf({ method: 'BREW', route: '/', params: {} }, USER, forbidden('no'));
    expect(odd).toMatchObject({ action: 'request', subject: 'Resource' });
    expect(accessDeniedV1.parse(odd)).toEqual(odd);
  });
});
