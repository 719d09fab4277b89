import { ScimSchemas } from './scim.constants';
import { ScimError } from './scim.exception';

export type ScimEmail = { value: string; type: string | null; primary: boolean };

/** What Warden keeps of a SCIM User: the attributes it maps, whatever the identity provider sends. */
export type ScimUserModel = {
  userName: string;
  externalId: string | null;
  active: boolean;
  displayName: string | null;
  givenName: string | null;
  familyName: string | null;
  emails: ScimEmail[];
  department: string | null;
  /** The SCIM id (= Warden user id) of the manager. */
  managerId: string | null;
};

export type JsonObject = Record<string, unknown>;

export const isObject = (value: unknown): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);

/** SCIM attribute names are case-insensitive (RFC 7643 §2.1): the value under `name` in any case. */
export function attr(object: JsonObject, name: string): unknown {
  const lower = name.toLowerCase();
  for (const [key, value] of Object.entries(object)) if (key.toLowerCase() === lower) return value;
  return undefined;
}

const optionalString = (value: unknown, where: string, max = 200): string | null => {
  if (value === undefined || value === null || value === '') return null;
  if (typeof value !== 'string') throw ScimError.invalidValue(`${where} must be a string`);
  if (value.length > max) throw ScimError.invalidValue(`${where} is longer than ${max} characters`);
  return value;
};

/** `active` as a boolean, or the strings "True"/"False" in any case (what Microsoft Entra ID sends). */
export function toBoolean(value: unknown, where: string): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string' && /^(true|false)$/i.test(value)) return value.toLowerCase() === 'true';
  throw ScimError.invalidValue(`${where} must be a boolean`);
}

export function toEmails(value: unknown): ScimEmail[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw ScimError.invalidValue('emails must be an array');
  if (value.length > 10) throw ScimError.invalidValue('emails has more than 10 values');
  return value.map((item, index) => {
    if (!isObject(item)) throw ScimError.invalidValue(`emails[${index}] must be an object`);
    const address = optionalString(attr(item, 'value'), `emails[${index}].value`, 320);
    if (!address || !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(address)) throw ScimError.invalidValue(`emails[${index}].value must be an e-mail address`);
    const primary = attr(item, 'primary');
    return {
      value: address,
      type: optionalString(attr(item, 'type'), `emails[${index}].type`, 50),
      primary: primary === undefined || primary === null ? false : toBoolean(primary, `emails[${index}].primary`),
    };
  });
}

/** The manager reference: `{value: "<id>"}` (RFC 7643 §4.3) or the bare id some providers send. */
export function toManagerId(value: unknown): string | null {
  const id = isObject(value) ? attr(value, 'value') : value;
  return optionalString(id, `${ScimSchemas.EnterpriseUser}:manager.value`);
}

/**
 * A full SCIM User resource (POST, PUT) as the model. Unknown attributes are ignored, as SCIM
 * allows; the ones Warden maps are type-checked (400 `invalidValue`).
 */
export function userFromResource(body: unknown): ScimUserModel {
  if (!isObject(body)) throw ScimError.invalidSyntax('the body must be a JSON object');
  const schemas = attr(body, 'schemas');
  if (!Array.isArray(schemas) || !schemas.some((s) => typeof s === 'string' && s.toLowerCase() === ScimSchemas.User.toLowerCase())) {
    throw ScimError.invalidValue(`schemas must include ${ScimSchemas.User}`);
  }
  const userName = optionalString(attr(body, 'userName'), 'userName', 100);
  if (!userName) throw ScimError.invalidValue('userName is required');
  const name = attr(body, 'name');
  if (name !== undefined && name !== null && !isObject(name)) throw ScimError.invalidValue('name must be an object');
  const enterprise = attr(body, ScimSchemas.EnterpriseUser);
  if (enterprise !== undefined && enterprise !== null && !isObject(enterprise)) {
    throw ScimError.invalidValue(`${ScimSchemas.EnterpriseUser} must be an object`);
  }
  const active = attr(body, 'active');
  return {
    userName,
    externalId: optionalString(attr(body, 'externalId'), 'externalId'),
    active: active === undefined || active === null ? true : toBoolean(active, 'active'),
    displayName: optionalString(attr(body, 'displayName'), 'displayName'),
    givenName: isObject(name) ? optionalString(attr(name, 'givenName'), 'name.givenName') : null,
    familyName: isObject(name) ? optionalString(attr(name, 'familyName'), 'name.familyName') : null,
    emails: toEmails(attr(body, 'emails')),
    department: isObject(enterprise) ? optionalString(attr(enterprise, 'department'), `${ScimSchemas.EnterpriseUser}:department`) : null,
    managerId: isObject(enterprise) ? toManagerId(attr(enterprise, 'manager')) : null,
  };
}

/** The display name Warden stores: displayName, else given + family name, else the user name. */
export const wardenDisplayName = (user: ScimUserModel): string =>
  user.displayName ?? ([user.givenName, user.familyName].filter(Boolean).join(' ') || user.userName);

/** The e-mail address Warden stores: the primary one, else the work one, else the first, else a user name that is an address. */
export function wardenEmail(user: ScimUserModel): string | null {
  const chosen = user.emails.find((e) => e.primary) ?? user.emails.find((e) => e.type?.toLowerCase() === 'work') ?? user.emails[0];
  if (chosen) return chosen.value;
  return /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(user.userName) ? user.userName : null;
}

export type ScimMeta = { id: string; created: string; lastModified: string; version: number; location: string };

/** The SCIM representation of a user (RFC 7643 §4.1, with the enterprise extension when set). */
export function userToResource(user: ScimUserModel, meta: ScimMeta): JsonObject {
  const enterprise: JsonObject = {};
  if (user.department) enterprise['department'] = user.department;
  if (user.managerId) enterprise['manager'] = { value: user.managerId, $ref: meta.location.replace(/[^/]+$/, user.managerId) };
  const hasEnterprise = Object.keys(enterprise).length > 0;
  const name: JsonObject = {};
  if (user.givenName) name['givenName'] = user.givenName;
  if (user.familyName) name['familyName'] = user.familyName;
  if (user.givenName || user.familyName) name['formatted'] = [user.givenName, user.familyName].filter(Boolean).join(' ');
  return {
    schemas: hasEnterprise ? [ScimSchemas.User, ScimSchemas.EnterpriseUser] : [ScimSchemas.User],
    id: meta.id,
    ...(user.externalId ? { externalId: user.externalId } : {}),
    userName: user.userName,
    ...(Object.keys(name).length ? { name } : {}),
    displayName: wardenDisplayName(user),
    active: user.active,
    emails: user.emails.map((e) => ({ value: e.value, ...(e.type ? { type: e.type } : {}), primary: e.primary })),
    ...(hasEnterprise ? { [ScimSchemas.EnterpriseUser]: enterprise } : {}),
    meta: {
      resourceType: 'User',
      created: meta.created,
      lastModified: meta.lastModified,
      location: meta.location,
    },
  };
}
