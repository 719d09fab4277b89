import { ScimSchemas } from './scim.constants';
import { ScimError } from './scim.exception';
import type { ScimPatchOp } from './scim-patch';
import { attr, isObject, type JsonObject } from './scim-user.model';

/** What Warden keeps of a SCIM Group (RFC 7643 §4.2): its name, the provider's id and the member user ids. */
export type ScimGroupModel = { displayName: string; externalId: string | null; members: string[] };

export type ScimGroupMeta = { id: string; created: string; lastModified: string; location: string };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Largest group Warden accepts through SCIM. */
export const MAX_GROUP_MEMBERS = 10_000;

const displayNameOf = (value: unknown): string => {
  if (typeof value !== 'string' || value.trim() === '') throw ScimError.invalidValue('displayName is required (a non-empty string)');
  if (value.length > 200) throw ScimError.invalidValue('displayName is longer than 200 characters');
  return value.trim();
};

const externalIdOf = (value: unknown): string | null => {
  if (value === undefined || value === null || value === '') return null;
  if (typeof value !== 'string' || value.length > 200) throw ScimError.invalidValue('externalId must be a string of at most 200 characters');
  return value;
};

/** Member references `[{value: "<user id>", display?, $ref?, type?}]` (a single object is accepted too) as user ids. */
export function memberIdsOf(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  const items = Array.isArray(value) ? value : [value];
  const ids = items.map((item, index) => {
    const id = isObject(item) ? attr(item, 'value') : undefined;
    if (typeof id !== 'string' || !UUID.test(id)) throw ScimError.invalidValue(`members[${index}].value must be the id of a User`);
    const type = isObject(item) ? attr(item, 'type') : undefined;
    if (type !== undefined && type !== null && String(type).toLowerCase() !== 'user') {
      throw ScimError.invalidValue(`members[${index}]: only Users can be members (nested groups are not supported)`);
    }
    return id.toLowerCase();
  });
  return [...new Set(ids)];
}

const checkSize = (group: ScimGroupModel): ScimGroupModel => {
  if (group.members.length > MAX_GROUP_MEMBERS) throw ScimError.invalidValue(`a group has at most ${MAX_GROUP_MEMBERS} members`);
  return group;
};

/** The body of POST and PUT /Groups. */
export function groupFromResource(body: unknown): ScimGroupModel {
  if (!isObject(body)) throw ScimError.invalidSyntax('the body must be a JSON object');
  const schemas = attr(body, 'schemas');
  if (schemas !== undefined && (!Array.isArray(schemas) || !schemas.some((s) => typeof s === 'string' && s.toLowerCase() === ScimSchemas.Group.toLowerCase()))) {
    throw ScimError.invalidValue(`schemas must include ${ScimSchemas.Group}`);
  }
  return checkSize({
    displayName: displayNameOf(attr(body, 'displayName')),
    externalId: externalIdOf(attr(body, 'externalId')),
    members: memberIdsOf(attr(body, 'members')),
  });
}

export function groupToResource(group: ScimGroupModel, meta: ScimGroupMeta, options: { members: boolean; usernames: ReadonlyMap<string, string>; baseUrl: string }): JsonObject {
  return {
    schemas: [ScimSchemas.Group],
    id: meta.id,
    ...(group.externalId !== null ? { externalId: group.externalId } : {}),
    displayName: group.displayName,
    ...(options.members
      ? {
          members: group.members.map((id) => ({
            value: id,
            ...(options.usernames.has(id) ? { display: options.usernames.get(id) } : {}),
            type: 'User',
            $ref: `${options.baseUrl}/Users/${id}`,
          })),
        }
      : {}),
    meta: { resourceType: 'Group', created: meta.created, lastModified: meta.lastModified, location: meta.location },
  };
}

/** `members[value eq "<id>"]`, as Entra ID and Okta address one member. */
const MEMBER_FILTER = /^members\[\s*value\s+eq\s+"([^"]*)"\s*\]$/i;

type GroupTarget = { kind: 'displayName' | 'externalId' | 'members' | 'ignored' } | { kind: 'member'; id: string };

function resolveGroupPath(path: string): GroupTarget {
  const core = `${ScimSchemas.Group.toLowerCase()}:`;
  const p = path.toLowerCase().startsWith(core) ? path.slice(core.length) : path;
  const member = MEMBER_FILTER.exec(p);
  if (member) {
    if (!UUID.test(member[1])) throw ScimError.invalidValue(`${path}: the member must be the id of a User`);
    return { kind: 'member', id: member[1].toLowerCase() };
  }
  switch (p.toLowerCase()) {
    case 'displayname':
      return { kind: 'displayName' };
    case 'externalid':
      return { kind: 'externalId' };
    case 'members':
      return { kind: 'members' };
    case 'id':
    case 'schemas':
    case 'meta':
      return { kind: 'ignored' };
    default:
      throw ScimError.invalidPath(`path ${path} is not supported on a Group (displayName, externalId, members)`);
  }
}

function applyOne(group: ScimGroupModel, op: ScimPatchOp['op'], target: GroupTarget, value: unknown): ScimGroupModel {
  switch (target.kind) {
    case 'ignored':
      return group;
    case 'displayName':
      if (op === 'remove') throw ScimError.mutability('displayName cannot be removed');
      return { ...group, displayName: displayNameOf(Array.isArray(value) && value.length === 1 ? value[0] : value) };
    case 'externalId':
      return { ...group, externalId: op === 'remove' ? null : externalIdOf(value) };
    case 'members': {
      if (op === 'replace') return { ...group, members: memberIdsOf(value) };
      if (op === 'add') return { ...group, members: [...new Set([...group.members, ...memberIdsOf(value)])] };
      // Remove: the listed members (Entra ID sends them as the value), or every member without a value.
      if (value === undefined || value === null) return { ...group, members: [] };
      const gone = new Set(memberIdsOf(value));
      return { ...group, members: group.members.filter((id) => !gone.has(id)) };
    }
    case 'member': {
      if (op !== 'remove') throw ScimError.invalidPath('members[value eq "…"] can only be removed; add members with path "members"');
      return { ...group, members: group.members.filter((id) => id !== target.id) };
    }
    default: {
      const unknown: never = target;
      throw ScimError.invalidPath(`unsupported target ${String(unknown)}`);
    }
  }
}

/**
 * The group after a PatchOp (RFC 7644 §3.5.2), as Entra ID and Okta send them:
 * `{"op":"Add","path":"members","value":[{"value":"<id>"}]}`,
 * `{"op":"Remove","path":"members","value":[{"value":"<id>"}]}` (Entra ID),
 * `{"op":"remove","path":"members[value eq \"<id>\"]"}` (Okta, Entra ID),
 * `{"op":"replace","path":"members","value":[…]}`, `{"op":"Replace","path":"displayName","value":"…"}`,
 * and without a path `{"op":"replace","value":{"id":"…","displayName":"…"}}` (Okta). Pure.
 */
export function applyGroupPatchOps(group: ScimGroupModel, ops: readonly ScimPatchOp[]): ScimGroupModel {
  const result = ops.reduce((current, { op, path, value }) => {
    if (path !== null) return applyOne(current, op, resolveGroupPath(path), value);
    if (!isObject(value)) throw ScimError.invalidValue(`${op} without a path needs an object value`);
    return Object.entries(value).reduce((acc, [key, item]) => applyOne(acc, op, resolveGroupPath(key), item), current);
  }, group);
  return checkSize(result);
}
