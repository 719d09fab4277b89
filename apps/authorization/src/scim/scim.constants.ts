/** SCIM 2.0 schema URNs (RFC 7643 §8.7, RFC 7644 §3). */
export const ScimSchemas = {
  User: 'urn:ietf:params:scim:schemas:core:2.0:User',
  Group: 'urn:ietf:params:scim:schemas:core:2.0:Group',
  EnterpriseUser: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User',
  ListResponse: 'urn:ietf:params:scim:api:messages:2.0:ListResponse',
  PatchOp: 'urn:ietf:params:scim:api:messages:2.0:PatchOp',
  Error: 'urn:ietf:params:scim:api:messages:2.0:Error',
  ServiceProviderConfig: 'urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig',
  ResourceType: 'urn:ietf:params:scim:schemas:core:2.0:ResourceType',
  Schema: 'urn:ietf:params:scim:schemas:core:2.0:Schema',
} as const;

export const SCIM_CONTENT_TYPE = 'application/scim+json';

/** Largest page a list returns (`filter.maxResults` of the ServiceProviderConfig). */
export const SCIM_MAX_RESULTS = 200;

/** Largest SCIM request body read, in bytes. */
export const SCIM_MAX_BODY_BYTES = 1024 * 1024;

/** Role given to users that SCIM creates. */
export const SCIM_DEFAULT_ROLE = 'staff';

/** The principal SCIM commands are recorded as in event metadata. */
export const SCIM_ACTOR = 'system:scim';
