import { ScimSchemas } from './scim.constants';
import { ScimError } from './scim.exception';
import { attr, isObject, toBoolean, toEmails, toManagerId, type ScimUserModel } from './scim-user.model';

export type ScimPatchOp = { op: 'add' | 'replace' | 'remove'; path: string | null; value: unknown };

const MAX_OPERATIONS = 100;

/**
 * A PatchOp body (RFC 7644 §3.5.2) as a list of operations: `op` lower-cased (Entra sends
 * `Replace`, `Add`), `path` trimmed or null. The values are checked when applied.
 */
export function normalisePatchOps(body: unknown): ScimPatchOp[] {
  if (!isObject(body)) throw ScimError.invalidSyntax('the body must be a JSON object');
  const schemas = attr(body, 'schemas');
  if (!Array.isArray(schemas) || !schemas.some((s) => typeof s === 'string' && s.toLowerCase() === ScimSchemas.PatchOp.toLowerCase())) {
    throw ScimError.invalidValue(`schemas must be [${ScimSchemas.PatchOp}]`);
  }
  const operations = attr(body, 'Operations');
  if (!Array.isArray(operations) || operations.length === 0) throw ScimError.invalidValue('Operations must be a non-empty array');
  if (operations.length > MAX_OPERATIONS) throw ScimError.invalidValue(`Operations has more than ${MAX_OPERATIONS} operations`);
  return operations.map((operation, index) => {
    if (!isObject(operation)) throw ScimError.invalidSyntax(`Operations[${index}] must be an object`);
    const op = attr(operation, 'op');
    const kind = typeof op === 'string' ? op.toLowerCase() : null;
    if (kind !== 'add' && kind !== 'replace' && kind !== 'remove') {
      throw ScimError.invalidValue(`Operations[${index}].op must be add, replace or remove`);
    }
    const rawPath = attr(operation, 'path');
    if (rawPath !== undefined && rawPath !== null && typeof rawPath !== 'string') throw ScimError.invalidPath(`Operations[${index}].path must be a string`);
    const path = typeof rawPath === 'string' && rawPath.trim() !== '' ? rawPath.trim() : null;
    if (kind === 'remove' && path === null) throw ScimError.noTarget(`Operations[${index}]: remove needs a path`);
    const value = attr(operation, 'value');
    if (kind !== 'remove' && value === undefined) throw ScimError.invalidValue(`Operations[${index}]: ${kind} needs a value`);
    return { op: kind, path, value };
  });
}

/** A path as the attribute it names: the core and enterprise schema prefixes resolved. */
type Target =
  | { kind: 'active' | 'userName' | 'externalId' | 'displayName' | 'givenName' | 'familyName' | 'department' | 'manager' }
  | { kind: 'name' | 'emails' | 'enterprise' }
  | { kind: 'emailOfType'; type: string }
  | { kind: 'ignored' };

const EMAIL_OF_TYPE = /^emails\[\s*type\s+eq\s+"((?:[^"\\]|\\.)*)"\s*\](\.value)?$/i;

export function resolvePath(path: string): Target {
  let p = path;
  const lower = () => p.toLowerCase();
  const enterprise = ScimSchemas.EnterpriseUser.toLowerCase();
  if (lower() === enterprise) return { kind: 'enterprise' };
  if (lower().startsWith(`${enterprise}:`)) {
    const sub = p.slice(enterprise.length + 1).toLowerCase();
    if (sub === 'department') return { kind: 'department' };
    if (sub === 'manager' || sub === 'manager.value') return { kind: 'manager' };
    return { kind: 'ignored' };
  }
  if (lower().startsWith(`${ScimSchemas.User.toLowerCase()}:`)) p = p.slice(ScimSchemas.User.length + 1);
  const email = EMAIL_OF_TYPE.exec(p);
  if (email) return { kind: 'emailOfType', type: JSON.parse(`"${email[1]}"`) as string };
  if (/[[\]"]/.test(p)) throw ScimError.invalidPath(`path ${path} is not supported`);
  switch (p.toLowerCase()) {
    case 'active':
      return { kind: 'active' };
    case 'username':
      return { kind: 'userName' };
    case 'externalid':
      return { kind: 'externalId' };
    case 'displayname':
      return { kind: 'displayName' };
    case 'name':
      return { kind: 'name' };
    case 'name.givenname':
      return { kind: 'givenName' };
    case 'name.familyname':
      return { kind: 'familyName' };
    case 'emails':
      return { kind: 'emails' };
    default:
      // Attributes Warden does not keep (title, phoneNumbers, addresses, …) are accepted and ignored.
      return { kind: 'ignored' };
  }
}

const text = (value: unknown, where: string, max = 200): string | null => {
  if (value === null || value === '') return null;
  if (typeof value !== 'string') throw ScimError.invalidValue(`${where} must be a string`);
  if (value.length > max) throw ScimError.invalidValue(`${where} is longer than ${max} characters`);
  return value;
};

/** Some providers wrap single values in a one-element array (`[{"value": "…"}]`). */
const unwrap = (value: unknown): unknown => (Array.isArray(value) && value.length === 1 ? value[0] : value);

function applyOne(user: ScimUserModel, op: ScimPatchOp['op'], target: Target, value: unknown, path: string): ScimUserModel {
  const remove = op === 'remove';
  switch (target.kind) {
    case 'ignored':
      return user;
    case 'active':
      if (remove) throw ScimError.mutability('active cannot be removed');
      return { ...user, active: toBoolean(unwrap(value), 'active') };
    case 'userName': {
      const userName = remove ? null : text(unwrap(value), 'userName', 100);
      if (!userName) throw ScimError.mutability('userName is required');
      return { ...user, userName };
    }
    case 'externalId':
      return { ...user, externalId: remove ? null : text(unwrap(value), 'externalId') };
    case 'displayName':
      return { ...user, displayName: remove ? null : text(unwrap(value), 'displayName') };
    case 'givenName':
      return { ...user, givenName: remove ? null : text(unwrap(value), 'name.givenName') };
    case 'familyName':
      return { ...user, familyName: remove ? null : text(unwrap(value), 'name.familyName') };
    case 'department':
      return { ...user, department: remove ? null : text(unwrap(value), 'department') };
    case 'manager':
      return { ...user, managerId: remove ? null : toManagerId(unwrap(value)) };
    case 'name': {
      if (remove) return { ...user, givenName: null, familyName: null };
      if (!isObject(value)) throw ScimError.invalidValue('name must be an object');
      return applyObject(user, op, value, 'name.');
    }
    case 'enterprise': {
      if (remove) return { ...user, department: null, managerId: null };
      if (!isObject(value)) throw ScimError.invalidValue(`${ScimSchemas.EnterpriseUser} must be an object`);
      return applyObject(user, op, value, `${ScimSchemas.EnterpriseUser}:`);
    }
    case 'emails': {
      if (remove) return { ...user, emails: [] };
      const emails = toEmails(Array.isArray(value) ? value : [value]);
      if (op === 'replace') return { ...user, emails };
      const added = emails.filter((e) => !user.emails.some((u) => u.value.toLowerCase() === e.value.toLowerCase()));
      return { ...user, emails: [...user.emails, ...added] };
    }
    case 'emailOfType': {
      const sameType = (type: string | null) => (type ?? '').toLowerCase() === target.type.toLowerCase();
      if (remove) return { ...user, emails: user.emails.filter((e) => !sameType(e.type)) };
      const raw = unwrap(value);
      const [email] = toEmails([isObject(raw) ? { type: target.type, ...raw } : { value: raw, type: target.type }]);
      const index = user.emails.findIndex((e) => sameType(e.type));
      if (index < 0) return { ...user, emails: [...user.emails, { ...email, primary: email.primary || user.emails.length === 0 }] };
      const emails = [...user.emails];
      emails[index] = { ...emails[index], value: email.value };
      return { ...user, emails };
    }
    default: {
      const unknown: never = target;
      throw ScimError.invalidPath(`path ${path} is not supported (${String(unknown)})`);
    }
  }
}

/** Each key of `value` as a path under `prefix` (a no-path operation, or one on a complex attribute). */
function applyObject(user: ScimUserModel, op: ScimPatchOp['op'], value: Record<string, unknown>, prefix: string): ScimUserModel {
  let result = user;
  for (const [key, item] of Object.entries(value)) {
    if (prefix === '' && ['schemas', 'id', 'meta'].includes(key.toLowerCase())) continue;
    const path = key.toLowerCase().startsWith('urn:') ? key : `${prefix}${key}`;
    result = applyOne(result, op, resolvePath(path), item, path);
  }
  return result;
}

/**
 * The user after the operations, in order (RFC 7644 §3.5.2): with a path, the attribute it names;
 * without, each attribute of the value (what Okta sends: `{"op":"replace","value":{"active":false}}`).
 * Pure; throws a ScimError (400) for a value or path it cannot apply.
 */
export function applyPatchOps(user: ScimUserModel, ops: readonly ScimPatchOp[]): ScimUserModel {
  return ops.reduce((current, { op, path, value }) => {
    if (path !== null) return applyOne(current, op, resolvePath(path), value, path);
    if (!isObject(value)) throw ScimError.invalidValue(`${op} without a path needs an object value`);
    return applyObject(current, op, value, '');
  }, user);
}
