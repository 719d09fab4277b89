import type { FieldCipher } from '@warden/crypto';
import {
  compileAbility,
  createPolicy,
  DEFAULT_ROLES_BY_NAME,
  type Permission,
  type Policy,
} from '@warden/security';
import {
  customerFieldLevels,
  levelledCustomerView,
  type CustomerPolicyResource,
  type CustomerRecord,
} from './customer-view.util';

const record: CustomerRecord = {
  id: '01a224c1-0000-7000-8000-00000000c001',
  name: 'Ada Lovelace',
  company: 'Analytical Engines',
  tags: ['vip'],
  classification: 'confidential',
  ownerId: 'u-staff',
  teamId: 'team-a',
  status: 'active',
  version: 1,
  createdAt: '2030-06-01T12:00:00.000Z',
  updatedAt: '2030-06-01T12:00:00.000Z',
};
const resource: CustomerPolicyResource = {
  ownerId: 'u-staff',
  teamId: 'team-a',
  classification: 'confidential',
  sharedWith: [],
};
const clear = {
  mobile: '+86 139-1234-5678',
  email: 'ada@example.org',
  nationalId: '11010119900307123X',
  address: '北京市朝阳区建国路88号',
};
const ciphertexts = {
  mobile: 'ct-mobile',
  email: 'ct-email',
  nationalId: 'ct-nationalId',
  address: 'ct-address',
};

/** Decrypts `ct-<field>` to the clear value and records every call. */
const fakeCipher = () => {
  const decrypted: string[] = [];
  const cipher = {
    decrypt: async (customerId: string, field: keyof typeof clear, token: string) => {
      expect(customerId).toBe(record.id);
      expect(token).toBe(`ct-${field}`);
      decrypted.push(field);
      return clear[field];
    },
  } as unknown as FieldCipher;
  return { cipher, decrypted };
};

const policyOf = (roles: string[], teamIds: string[] = [], extra: Permission[] = []): Policy =>
  createPolicy(
    compileAbility({
      user: {
        userId: roles.includes('staff') ? 'u-staff' : 'u-other',
        roles: [...roles, ...(extra.length ? ['extra'] : [])],
        teamIds,
        clearance: 'confidential',
        status: 'active',
      },
      roles: {
        ...DEFAULT_ROLES_BY_NAME,
        extra: { name: 'extra', description: 'test', permissions: extra, mfaRequired: false },
      },
      grants: [],
      now: new Date('2030-06-01T12:00:00.000Z'),
    }),
  );

const view = async (policy: Policy, cts: Partial<typeof ciphertexts> = ciphertexts) => {
  const { cipher, decrypted } = fakeCipher();
  const shaped = await levelledCustomerView(record, cts, customerFieldLevels(policy, resource), cipher);
  return { shaped, decrypted };
};

describe("the customer view at the caller's field levels", () => {
  describe('when the caller is the staff owner', () => {
    it('shows mobile and e-mail in clear, national ID and address masked, and every plain field', async () => {
      const { shaped } = await view(policyOf(['staff']));
      expect(shaped).toEqual({
        ...record,
        mobile: clear.mobile,
        email: clear.email,
        nationalId: '110101********123X',
        address: '北京市',
      });
      expect(Object.keys(shaped)).toEqual([
        'id',
        'name',
        'company',
        'tags',
        'classification',
        'ownerId',
        'teamId',
        'mobile',
        'email',
        'nationalId',
        'address',
        'status',
        'version',
        'createdAt',
        'updatedAt',
      ]);
    });

    it('gives null for a sensitive field that was not given, without decrypting anything', async () => {
      const { shaped, decrypted } = await view(policyOf(['staff']), {});
      expect(shaped).toMatchObject({ mobile: null, email: null, nationalId: null, address: null });
      expect(decrypted).toEqual([]);
    });
  });

  describe('when the caller supervises the team', () => {
    it('masks every sensitive field', async () => {
      const { shaped } = await view(policyOf(['supervisor'], ['team-a']));
      expect(shaped).toMatchObject({
        name: record.name,
        mobile: '139****5678',
        email: 'a***@example.org',
        nationalId: '110101********123X',
        address: '北京市',
      });
    });
  });

  describe('when the caller is an auditor', () => {
    it('shows the id and name only and decrypts nothing', async () => {
      const { shaped, decrypted } = await view(policyOf(['auditor']));
      expect(shaped).toEqual({ id: record.id, name: record.name });
      expect(decrypted).toEqual([]);
    });
  });

  describe('when a rule masks a plain field', () => {
    it('masks it with the generic masker', async () => {
      const { shaped } = await view(
        policyOf(
          [],
          [],
          [{ action: 'read', subject: 'Customer', fields: { '*': 'masked', id: 'clear', mobile: 'clear' } }],
        ),
      );
      expect(shaped).toMatchObject({
        id: record.id,
        name: 'A*** Lovelace',
        company: 'A***',
        tags: '****',
        mobile: clear.mobile,
      });
      expect(shaped).not.toHaveProperty('email');
    });
  });

  describe('when the policy does not allow reading the customer', () => {
    it('shows nothing at all (deny by default)', async () => {
      const { shaped, decrypted } = await view(policyOf(['admin']));
      expect(shaped).toEqual({});
      expect(decrypted).toEqual([]);
    });
  });
});
