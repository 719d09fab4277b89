import type { FieldLevel, Permission, RoleDefinition } from './policy.types';

/**
 * The product's default roles. The guiding rule is least privilege: each role gets the smallest
 * set of customer records and the least visible form of each sensitive field that its job needs;
 * anything more is requested as a time-boxed, approved `Grant`.
 *
 * Every rule on `Customer` also requires `classification: 'within-clearance'`, so a record above
 * the user's clearance is invisible whatever the role. Sensitive customer fields
 * (`mobile`, `email`, `nationalId`, `address`) are `none` unless a rule names them.
 */

const withinClearance = { classification: 'within-clearance' } as const;

/** Every sensitive customer field masked: enough to recognise a record, not to use its data. */
const SENSITIVE_MASKED: Record<string, FieldLevel> = {
  mobile: 'masked',
  email: 'masked',
  nationalId: 'masked',
  address: 'masked',
};

/** Identification only: the record's id and name, nothing else (oversight roles). */
const IDS_AND_NAMES_ONLY: Record<string, FieldLevel> = {
  '*': 'none',
  id: 'clear',
  customerId: 'clear',
  name: 'clear',
};

const staff: Permission[] = [
  // A relationship manager works their own book: the contact details they use daily in clear,
  // identity and address data masked (revealing them needs a grant).
  {
    action: ['read', 'create', 'update'],
    subject: 'Customer',
    conditions: { owner: 'me', ...withinClearance },
    fields: { mobile: 'clear', email: 'clear', nationalId: 'masked', address: 'masked' },
  },
  // They may request an export of their own customers; whether it needs approval is the export
  // service's business, not the policy's.
  { action: 'export', subject: 'Customer', conditions: { owner: 'me', ...withinClearance } },
];

const supervisor: Permission[] = [
  // Oversight of the team (and its sub-teams) without handling its customers' personal data.
  { action: 'read', subject: 'Customer', conditions: { team: 'mine', ...withinClearance }, fields: SENSITIVE_MASKED },
  // Approvals are scoped to the supervisor's teams: an Export or Grant resource carries the
  // requester's `teamId`. A resource without one cannot be approved by a supervisor (fail closed).
  { action: 'approve-export', subject: 'Export', conditions: { team: 'mine' } },
  { action: 'approve-grant', subject: 'Grant', conditions: { team: 'mine' } },
];

const auditor: Permission[] = [
  // Auditors verify who did what; they need to identify records, never their personal data.
  { action: 'read', subject: 'Customer', conditions: withinClearance, fields: IDS_AND_NAMES_ONLY },
  { action: 'view-audit', subject: 'AuditLog' },
];

const securityOfficer: Permission[] = [
  ...auditor,
  { action: 'approve-export', subject: 'Export' },
  { action: 'approve-grant', subject: 'Grant' },
  { action: 'manage', subject: 'Alert' },
];

const hr: Permission[] = [
  // HR starts and follows offboardings; it needs the user directory, not customer data.
  { action: 'offboard', subject: 'User' },
  { action: 'read', subject: 'User' },
  { action: 'read', subject: 'Offboarding' },
];

const admin: Permission[] = [
  // Administers identities and roles. Deliberately NO customer access: an administrator who
  // needs customer data asks for a grant like anyone else, which is approved and audited.
  { action: 'manage-users', subject: 'User' },
  { action: 'manage-roles', subject: 'Role' },
  { action: 'read', subject: 'User' },
  { action: 'read', subject: 'Team' },
  { action: 'read', subject: 'Role' },
];

const partner: Permission[] = [
  // An external partner sees only what was explicitly shared with them, masked.
  {
    action: 'read',
    subject: 'Customer',
    conditions: { sharedWithMe: true, ...withinClearance },
    fields: SENSITIVE_MASKED,
  },
];

export const DEFAULT_ROLES: RoleDefinition[] = [
  {
    name: 'admin',
    description: 'Manages users and roles; no customer data by default.',
    permissions: admin,
    mfaRequired: true,
  },
  {
    name: 'security_officer',
    description: 'Reviews audit trails and alerts, approves exports and grants; customer ids and names only.',
    permissions: securityOfficer,
    mfaRequired: true,
  },
  {
    name: 'supervisor',
    description: "Oversees their teams' customers (sensitive fields masked) and approves their exports and grants.",
    permissions: supervisor,
    mfaRequired: false,
  },
  {
    name: 'staff',
    description: 'Works their own customers: contact details in clear, identity and address masked.',
    permissions: staff,
    mfaRequired: false,
  },
  { name: 'hr', description: 'Offboards users and reads the user directory.', permissions: hr, mfaRequired: false },
  {
    name: 'auditor',
    description: 'Reads audit trails; customer ids and names only.',
    permissions: auditor,
    mfaRequired: false,
  },
  {
    name: 'partner',
    description: 'Reads customers shared with them, every sensitive field masked.',
    permissions: partner,
    mfaRequired: false,
  },
];

/** `DEFAULT_ROLES` keyed by name, the shape `compileAbility` takes. */
export const DEFAULT_ROLES_BY_NAME: Readonly<Record<string, RoleDefinition>> = Object.freeze(
  Object.fromEntries(DEFAULT_ROLES.map((role) => [role.name, role])),
);
