import { SCIM_MAX_RESULTS, ScimSchemas } from './scim.constants';

/** Static discovery documents of RFC 7643 §5–§7, for `baseUrl` (`…/scim/v2`). */

type Attribute = Record<string, unknown>;

const attribute = (name: string, description: string, extra: Attribute = {}): Attribute => ({
  name,
  type: 'string',
  multiValued: false,
  description,
  required: false,
  caseExact: false,
  mutability: 'readWrite',
  returned: 'default',
  uniqueness: 'none',
  ...extra,
});

export const serviceProviderConfig = (baseUrl: string) => ({
  schemas: [ScimSchemas.ServiceProviderConfig],
  documentationUri: 'https://datatracker.ietf.org/doc/html/rfc7644',
  patch: { supported: true },
  bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
  filter: { supported: true, maxResults: SCIM_MAX_RESULTS },
  changePassword: { supported: false },
  sort: { supported: false },
  etag: { supported: false },
  authenticationSchemes: [
    {
      type: 'oauthbearertoken',
      name: 'OAuth Bearer Token',
      description: 'A SCIM bearer token issued by a Warden admin (POST /v1/scim/tokens), in the Authorization header',
      specUri: 'https://www.rfc-editor.org/info/rfc6750',
      primary: true,
    },
  ],
  meta: { resourceType: 'ServiceProviderConfig', location: `${baseUrl}/ServiceProviderConfig` },
});

export const userResourceType = (baseUrl: string) => ({
  schemas: [ScimSchemas.ResourceType],
  id: 'User',
  name: 'User',
  endpoint: '/Users',
  description: 'User Account',
  schema: ScimSchemas.User,
  schemaExtensions: [{ schema: ScimSchemas.EnterpriseUser, required: false }],
  meta: { resourceType: 'ResourceType', location: `${baseUrl}/ResourceTypes/User` },
});

export const groupResourceType = (baseUrl: string) => ({
  schemas: [ScimSchemas.ResourceType],
  id: 'Group',
  name: 'Group',
  endpoint: '/Groups',
  description: 'Group (a group named like a Warden role grants that role to its members)',
  schema: ScimSchemas.Group,
  meta: { resourceType: 'ResourceType', location: `${baseUrl}/ResourceTypes/Group` },
});

export const resourceTypes = (baseUrl: string) => [userResourceType(baseUrl), groupResourceType(baseUrl)];

const groupSchema = {
  id: ScimSchemas.Group,
  name: 'Group',
  description: 'Group',
  attributes: [
    attribute('displayName', 'A human-readable name for the Group. A Warden role name (any case) grants that role to the members.', {
      required: true,
    }),
    attribute('members', 'The members of the Group: Users only.', {
      type: 'complex',
      multiValued: true,
      subAttributes: [
        attribute('value', 'The id of the member User.', { caseExact: true, mutability: 'immutable' }),
        attribute('$ref', 'The URI of the member.', { type: 'reference', referenceTypes: ['User'], mutability: 'immutable' }),
        attribute('display', 'The userName of the member.', { mutability: 'readOnly' }),
        attribute('type', 'User.', { canonicalValues: ['User'], mutability: 'immutable' }),
      ],
    }),
  ],
};

const userSchema = {
  id: ScimSchemas.User,
  name: 'User',
  description: 'User Account',
  attributes: [
    attribute('userName', 'Unique identifier for the User, used to sign in. Cannot change in Warden.', {
      required: true,
      uniqueness: 'server',
    }),
    attribute('name', "The components of the user's name.", {
      type: 'complex',
      subAttributes: [
        attribute('formatted', 'The full name.', { mutability: 'readOnly' }),
        attribute('familyName', 'The family name.'),
        attribute('givenName', 'The given name.'),
      ],
    }),
    attribute('displayName', 'The name of the User, suitable for display.'),
    attribute('active', "The User's administrative status; false disables the user at once.", { type: 'boolean' }),
    attribute('emails', 'E-mail addresses of the User.', {
      type: 'complex',
      multiValued: true,
      subAttributes: [
        attribute('value', 'The e-mail address.'),
        attribute('type', 'work, home or other.', { canonicalValues: ['work', 'home', 'other'] }),
        attribute('primary', 'The primary address.', { type: 'boolean' }),
      ],
    }),
  ],
};

const enterpriseUserSchema = {
  id: ScimSchemas.EnterpriseUser,
  name: 'EnterpriseUser',
  description: 'Enterprise User',
  attributes: [
    attribute('department', 'Identifies the name of a department.'),
    attribute('manager', "The User's manager: the id of a Warden user.", {
      type: 'complex',
      subAttributes: [
        attribute('value', 'The id of the SCIM resource representing the manager.', { caseExact: true }),
        attribute('$ref', 'The URI of the manager.', { type: 'reference', referenceTypes: ['User'] }),
        attribute('displayName', 'The displayName of the manager.', { mutability: 'readOnly' }),
      ],
    }),
  ],
};

export const schemaDocuments = (baseUrl: string) =>
  [userSchema, enterpriseUserSchema, groupSchema].map((schema) => ({
    schemas: [ScimSchemas.Schema],
    ...schema,
    meta: { resourceType: 'Schema', location: `${baseUrl}/Schemas/${schema.id}` },
  }));

export const listOf = <T>(resources: T[]) => ({
  schemas: [ScimSchemas.ListResponse],
  totalResults: resources.length,
  startIndex: 1,
  itemsPerPage: resources.length,
  Resources: resources,
});
