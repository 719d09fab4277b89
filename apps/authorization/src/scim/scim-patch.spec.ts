import { ScimSchemas } from './scim.constants';
import { applyPatchOps, normalisePatchOps } from './scim-patch';
import type { ScimUserModel } from './scim-user.model';

const user: ScimUserModel = {
  userName: 'alice@example.com',
  externalId: null,
  active: true,
  displayName: 'Alice Martin',
  givenName: 'Alice',
  familyName: 'Martin',
  emails: [{ value: 'alice@example.com', type: 'work', primary: true }],
  department: null,
  managerId: null,
};
const patch = (...Operations: unknown[]) => applyPatchOps(user, normalisePatchOps({ schemas: [ScimSchemas.PatchOp], Operations }));

describe('SCIM patch operations', () => {
  describe('Microsoft Entra ID payloads', () => {
    it('"Replace" active with the string "False" deactivates', () => {
      expect(patch({ op: 'Replace', path: 'active', value: 'False' }).active).toBe(false);
      expect(patch({ op: 'Replace', path: 'active', value: 'True' }).active).toBe(true);
    });

    it('sets the work e-mail, the enterprise department and manager, and removes the manager', () => {
      const changed = patch(
        { op: 'Replace', path: 'emails[type eq "work"].value', value: 'alice.m@example.com' },
        { op: 'Add', path: `${ScimSchemas.EnterpriseUser}:department`, value: 'Sales' },
        { op: 'Add', path: `${ScimSchemas.EnterpriseUser}:manager`, value: '0190f0c8-1111-7000-8000-000000000001' },
        { op: 'Replace', path: 'name.familyName', value: 'Moreau' },
        { op: 'Add', path: 'title', value: 'ignored' },
      );
      expect(changed).toMatchObject({
        emails: [{ value: 'alice.m@example.com', type: 'work', primary: true }],
        department: 'Sales',
        managerId: '0190f0c8-1111-7000-8000-000000000001',
        familyName: 'Moreau',
      });
      expect(applyPatchOps(changed, normalisePatchOps({ schemas: [ScimSchemas.PatchOp], Operations: [{ op: 'Remove', path: `${ScimSchemas.EnterpriseUser}:manager` }] })).managerId).toBeNull();
    });
  });

  describe('Okta payloads', () => {
    it('replace without a path: {"active": false}', () => {
      expect(patch({ op: 'replace', value: { active: false } }).active).toBe(false);
    });

    it('replace without a path with several attributes, nested name', () => {
      expect(patch({ op: 'replace', value: { id: 'ignored', displayName: 'A. Martin', name: { givenName: 'Alicia' } } })).toMatchObject({
        displayName: 'A. Martin',
        givenName: 'Alicia',
        familyName: 'Martin',
      });
    });
  });

  it('refuses a body that is not a PatchOp', () => {
    expect(() => normalisePatchOps({ schemas: [ScimSchemas.User], Operations: [] })).toThrow(expect.objectContaining({ scimType: 'invalidValue' }));
  });

  it('refuses an unknown op, a remove without path, and a non-boolean active', () => {
    expect(() => patch({ op: 'move', path: 'active', value: true })).toThrow(expect.objectContaining({ scimType: 'invalidValue' }));
    expect(() => patch({ op: 'remove' })).toThrow(expect.objectContaining({ scimType: 'noTarget' }));
    expect(() => patch({ op: 'replace', path: 'active', value: 'no' })).toThrow(expect.objectContaining({ scimType: 'invalidValue' }));
  });

  it('refuses removing userName and a malformed value path', () => {
    expect(() => patch({ op: 'remove', path: 'userName' })).toThrow(expect.objectContaining({ scimType: 'mutability' }));
    expect(() => patch({ op: 'replace', path: 'emails[value co "x"]', value: 'a@b.io' })).toThrow(expect.objectContaining({ scimType: 'invalidPath' }));
  });
});
