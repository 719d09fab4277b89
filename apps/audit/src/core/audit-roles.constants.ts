/** Who may read the audit trail: auditors, security officers and admins. Staff and others get 403. */
export const AUDIT_READER_ROLES = ['auditor', 'security_officer', 'admin'] as const;
