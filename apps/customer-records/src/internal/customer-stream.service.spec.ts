import { compileAbility, createPolicy, DEFAULT_ROLES_BY_NAME, type Policy } from '@warden/security';
import { customerColumnsFor, rowLevelsMemo, type CustomerRow } from '../customer/customer-query.service';
import { maskSensitive } from '../customer/customer-sensitive.util';
import { customerFieldLevels, levelledCustomerViewSync } from '../customer/customer-view.util';
import { streamColumnsFor, streamLevels } from './customer-stream.service';

const NOW = new Date('2030-06-01T12:00:00.000Z');
const policyOf = (roles: string[]): Policy =>
  createPolicy(
    compileAbility({
      user: { userId: 'u-staff', roles, teamIds: ['team-a'], clearance: 'confidential', status: 'active' },
      roles: DEFAULT_ROLES_BY_NAME,
      grants: [],
      now: NOW,
    }),
  );
const row = { owner_id: 'u-staff', team_id: 'team-a', classification: 'internal', shared_with: [] } as unknown as CustomerRow;

describe('the levels of a streamed row', () => {
  it('keeps requested fields at the user level, masks sensitive ones not in clearFields, always id and version', () => {
    const levels = streamLevels(policyOf(['staff']), row, new Set(['name', 'mobile', 'email', 'nationalId']), new Set(['mobile']));
    expect(levels).toMatchObject({
      id: 'clear',
      version: 'clear',
      name: 'clear',
      mobile: 'clear',
      email: 'masked',
      nationalId: 'masked',
      address: 'none',
      company: 'none',
    });
  });

  it("leaves out what the user's level leaves out, and never raises a level", () => {
    const auditor = streamLevels(policyOf(['auditor']), row, new Set(['name', 'mobile']), new Set(['mobile']));
    expect(auditor).toMatchObject({ name: 'clear', mobile: 'none', id: 'clear', version: 'clear' });
    const supervisor = streamLevels(policyOf(['supervisor']), row, new Set(['mobile']), new Set(['mobile']));
    expect(supervisor.mobile).toBe('masked');
  });
});

describe('the levels memo of a page', () => {
  it('computes the levels once per distinct owner, team, classification and shares, and gives each row its own', () => {
    const policy = policyOf(['staff']);
    let computed = 0;
    const levelsOf = rowLevelsMemo((resource) => {
      computed += 1;
      return customerFieldLevels(policy, resource);
    });
    const other = { ...row, owner_id: 'u-other' } as CustomerRow;
    const shared = { ...row, shared_with: ['u-x'] } as CustomerRow;
    for (let i = 0; i < 10; i += 1) {
      expect(levelsOf({ ...row } as CustomerRow).mobile).toBe('clear');
      expect(levelsOf({ ...other } as CustomerRow).mobile).toBe('none');
      levelsOf({ ...shared } as CustomerRow);
    }
    expect(computed).toBe(3);
    expect(levelsOf(other)).toEqual(customerFieldLevels(policy, { ownerId: 'u-other', teamId: 'team-a', classification: 'internal', sharedWith: [] }));
  });
});

describe('a streamed row with stored masked forms', () => {
  const record = {
    id: 'c-1',
    name: 'Ada Lovelace',
    company: null,
    tags: [],
    classification: 'internal',
    ownerId: 'u-staff',
    teamId: 'team-a',
    status: 'active',
    version: 3,
    createdAt: '',
    updatedAt: '',
  };
  const tokens = { mobile: 'v1.mobile', email: 'v1.email', nationalId: 'v1.national', address: null };
  const plaintext: Record<string, string> = { mobile: '+86 139-1234-5678', email: 'ada@example.org', nationalId: '11010119900307123X' };
  const levels = streamLevels(policyOf(['staff']), row, new Set(['name', 'mobile', 'email', 'nationalId', 'address']), new Set(['mobile']));

  it('shows a masked field from its stored form without decrypting it, and decrypts the rest', () => {
    const decrypted: string[] = [];
    const view = levelledCustomerViewSync(
      record,
      tokens,
      levels,
      (field) => {
        decrypted.push(field);
        return plaintext[field];
      },
      { email: 'a***@example.org', nationalId: null },
    );
    expect(view).toMatchObject({
      mobile: '+86 139-1234-5678',
      email: 'a***@example.org',
      nationalId: maskSensitive.nationalId(plaintext.nationalId),
      address: null,
    });
    // mobile is in clear (its key is needed), nationalId has no stored form: both decrypted; email never.
    expect(decrypted.sort()).toEqual(['mobile', 'nationalId']);
  });

  it('shows the same view from stored forms as from decrypting', () => {
    const decrypt = (field: string) => plaintext[field];
    const stored = { mobile: maskSensitive.mobile(plaintext.mobile), email: maskSensitive.email(plaintext.email), nationalId: maskSensitive.nationalId(plaintext.nationalId) };
    const allMasked = streamLevels(policyOf(['staff']), row, new Set(['mobile', 'email', 'nationalId']), new Set());
    expect(levelledCustomerViewSync(record, tokens, allMasked, decrypt, stored)).toEqual(levelledCustomerViewSync(record, tokens, allMasked, decrypt));
  });

  it('never shows a stored masked form for a field in clear', () => {
    const view = levelledCustomerViewSync(record, tokens, levels, (field) => plaintext[field], { mobile: '861******5678' });
    expect(view.mobile).toBe('+86 139-1234-5678');
  });

  it('reads only the columns of the requested fields, and what the policy and the erased check need', () => {
    expect(customerColumnsFor(['name', 'email', 'mobile'], new Set(['mobile'])).split(', ').sort()).toEqual(
      [
        'CASE WHEN email_masked IS NULL THEN email_ciphertext END AS email_ciphertext',
        'classification',
        'email_masked',
        'id',
        'mobile_ciphertext',
        'name',
        'owner_id',
        'shared_with',
        'status',
        'team_id',
        'version',
      ].sort(),
    );
    expect(customerColumnsFor(['createdAt', 'tags'])).toContain('created_at');
    expect(customerColumnsFor(['createdAt', 'tags'])).not.toContain('ciphertext');
  });

  it('reads the text arrays of the stream as JSON, every other column as customerColumnsFor names it', () => {
    const columns = streamColumnsFor(['name', 'tags', 'email'], new Set());
    expect(columns.split(', ').sort()).toEqual(
      customerColumnsFor(['name', 'tags', 'email'])
        .split(', ')
        .map((column) => (column === 'tags' || column === 'shared_with' ? `to_json(${column}) AS ${column}` : column))
        .sort(),
    );
    expect(columns).toContain('to_json(shared_with) AS shared_with');
    expect(streamColumnsFor(['name'], new Set())).not.toContain('tags');
  });

  it('shows a masked field from its stored form when its ciphertext was not read', () => {
    const view = levelledCustomerViewSync(record, { ...tokens, email: null }, levels, (field) => plaintext[field], { email: 'a***@example.org' });
    expect(view.email).toBe('a***@example.org');
  });
});
