import { compileAbility, createPolicy, DEFAULT_ROLES_BY_NAME, type Permission, type Policy } from '@warden/security';
import {
  customerFieldLevels,
  displayedFieldLevels,
  rolePolicyOf,
  shownFields,
  unrevealable,
  type CustomerPolicyResource,
} from './customer-view.util';
import { getCustomerQuery, listCustomersQuery } from './customer.dto';

const NOW = new Date('2030-06-01T12:00:00.000Z');
const own: CustomerPolicyResource = { ownerId: 'u-staff', teamId: 'team-a', classification: 'internal', sharedWith: [] };

const policyOf = (roles: string[], grants: Permission[] = [], teamIds: string[] = ['team-a']): Policy =>
  createPolicy(
    compileAbility({
      user: { userId: 'u-staff', roles, teamIds, clearance: 'confidential', status: 'active' },
      roles: DEFAULT_ROLES_BY_NAME,
      grants: grants.length
        ? [{ id: 'g1', userId: 'u-staff', permissions: grants, status: 'active', expiresAt: '2030-06-02T00:00:00.000Z' }]
        : [],
      now: NOW,
    }),
    { now: () => NOW },
  );

const nationalIdGrant: Permission[] = [
  { action: 'read', subject: 'Customer', conditions: { owner: 'me' }, fields: { nationalId: 'clear', address: 'clear' } },
];

describe('displayed field levels and reveal', () => {
  it('keeps the role levels for a policy without grants (staff owner: contact in clear, identity masked) and always shows version', () => {
    const policy = policyOf(['staff']);
    expect(rolePolicyOf(policy)).toBe(policy);
    expect(displayedFieldLevels(policy, own)).toMatchObject({
      mobile: 'clear',
      email: 'clear',
      nationalId: 'masked',
      address: 'masked',
      version: 'clear',
    });
    const auditor = policyOf(['auditor']);
    expect(customerFieldLevels(auditor, own).version).toBe('none');
    expect(displayedFieldLevels(auditor, own)).toMatchObject({ id: 'clear', name: 'clear', version: 'clear', mobile: 'none' });
  });

  it('shows a field held at clear only by a grant masked, unless it is revealed', () => {
    const policy = policyOf(['staff'], nationalIdGrant);
    expect(customerFieldLevels(policy, own).nationalId).toBe('clear');
    expect(displayedFieldLevels(policy, own)).toMatchObject({ nationalId: 'masked', address: 'masked', mobile: 'clear' });
    expect(displayedFieldLevels(policy, own, new Set(['nationalId']))).toMatchObject({
      nationalId: 'clear',
      address: 'masked',
    });
  });

  it('lets only fields at the clear level be revealed', () => {
    expect(unrevealable(policyOf(['staff']), own, ['nationalId', 'mobile'])).toEqual(['nationalId']);
    expect(unrevealable(policyOf(['staff'], nationalIdGrant), own, ['nationalId', 'mobile'])).toEqual([]);
    expect(unrevealable(policyOf(['supervisor']), own, ['mobile', 'email'])).toEqual(['mobile', 'email']);
    expect(unrevealable(policyOf(['staff']), own, ['name'])).toEqual(['name']);
    // Another owner's customer: nothing is clear.
    expect(unrevealable(policyOf(['staff'], nationalIdGrant), { ...own, ownerId: 'u-other' }, ['mobile'])).toEqual(['mobile']);
  });

  it('names the fields a view shows in clear and masked', () => {
    const levels = displayedFieldLevels(policyOf(['staff']), own);
    const view = { id: 'c1', name: 'A', mobile: '139', nationalId: '110***', version: 3 };
    expect(shownFields(view, levels)).toEqual({ fieldsInClear: ['id', 'name', 'mobile', 'version'], fieldsMasked: ['nationalId'] });
  });
});

describe('GET query parameters', () => {
  it('parses the list filters: tags comma-separated or repeated, status and paging', () => {
    const parsed = listCustomersQuery.parse({ q: ' acme ', tags: ['a,b', 'c'], status: 'archived', limit: '10' });
    expect(parsed).toEqual({ filter: { q: 'acme', tags: ['a', 'b', 'c'], status: 'archived' }, limit: 10, cursor: undefined });
    expect(listCustomersQuery.parse({})).toEqual({ filter: {}, limit: 50, cursor: undefined });
  });

  it('names the parameter of every bad value', () => {
    const issues = (query: Record<string, unknown>) =>
      listCustomersQuery.safeParse(query).error?.issues.map((issue) => issue.path.join('.')) ?? [];
    expect(issues({ classification: 'secret' })).toEqual(['classification']);
    expect(issues({ status: 'erased' })).toEqual(['status']);
    expect(issues({ tags: ',' })).toEqual(['tags']);
    expect(issues({ q: '' })).toEqual(['q']);
    expect(issues({ limit: '0' })).toEqual(['limit']);
    expect(issues({ colour: 'red' })).toEqual(['']);
  });

  it('requires a reason with reveal and a reveal with a reason', () => {
    expect(getCustomerQuery.parse({ reveal: 'nationalId,mobile', reason: ' KYC ' })).toEqual({
      reveal: ['nationalId', 'mobile'],
      reason: 'KYC',
    });
    expect(getCustomerQuery.safeParse({ reveal: 'nationalId' }).error?.issues[0].path).toEqual(['reason']);
    expect(getCustomerQuery.safeParse({ reason: 'x' }).error?.issues[0].path).toEqual(['reveal']);
    expect(getCustomerQuery.safeParse({ reveal: 'a,b,c,d,e', reason: 'x' }).success).toBe(false);
  });
});
