import type { ApprovalReason } from '@warden/contracts';
import type { ApproverAuthority } from './export.commands';

/** The settings of the approval policy (defaults from config, per-team overrides on top). */
export type ApprovalPolicySettings = {
  /** More rows than this need approval. */
  rowThreshold: number;
  /** Rows a requester may export per UTC day without approval (this export included). */
  dailyRowQuota: number;
  clearSensitiveNeedsApproval: boolean;
  departingNeedsApproval: boolean;
  openAlertNeedsApproval: boolean;
};

export const DEFAULT_APPROVAL_POLICY: ApprovalPolicySettings = {
  rowThreshold: 200,
  dailyRowQuota: 5000,
  clearSensitiveNeedsApproval: true,
  departingNeedsApproval: true,
  openAlertNeedsApproval: true,
};

/** What the policy looks at for one request. */
export type ApprovalFacts = {
  estimatedRows: number;
  /** Sensitive fields requested in clear. */
  clearSensitiveFields: readonly string[];
  /** Rows of the requester's exports earlier the same UTC day (not rejected, cancelled or expired). */
  rowsEarlierToday: number;
  departing: boolean;
  openAlerts: number;
};

/** The settings for a team: the defaults with the team's overrides. */
export function settingsForTeam(
  teamId: string | null,
  defaults: ApprovalPolicySettings,
  overrides: Readonly<Record<string, Partial<ApprovalPolicySettings>>>,
): ApprovalPolicySettings {
  const own = teamId !== null && Object.hasOwn(overrides, teamId) ? overrides[teamId] : {};
  return { ...defaults, ...own };
}

/** Why this request needs a person's approval; empty when it may run at once. Pure. */
export function approvalReasons(facts: ApprovalFacts, settings: ApprovalPolicySettings): ApprovalReason[] {
  const reasons: ApprovalReason[] = [];
  if (facts.estimatedRows > settings.rowThreshold) reasons.push('row_threshold');
  if (settings.clearSensitiveNeedsApproval && facts.clearSensitiveFields.length > 0) reasons.push('clear_sensitive_fields');
  if (facts.rowsEarlierToday + facts.estimatedRows > settings.dailyRowQuota) reasons.push('daily_quota');
  if (settings.departingNeedsApproval && facts.departing) reasons.push('departing_requester');
  if (settings.openAlertNeedsApproval && facts.openAlerts > 0) reasons.push('open_alert');
  return reasons;
}

/** A team as the directory knows it. */
export type DirectoryTeam = { teamId: string; parentId: string | null; supervisorId: string | null };

/**
 * The supervisors of a team and of every team above it, nearest first. Stops at a cycle or after
 * 50 levels (a malformed hierarchy must not hang a request).
 */
export function supervisorsUpTheHierarchy(teamId: string | null, teams: ReadonlyMap<string, DirectoryTeam>): string[] {
  const supervisors: string[] = [];
  const seen = new Set<string>();
  let current = teamId === null ? undefined : teams.get(teamId);
  while (current && !seen.has(current.teamId) && seen.size < 50) {
    seen.add(current.teamId);
    if (current.supervisorId !== null) supervisors.push(current.supervisorId);
    current = current.parentId === null ? undefined : teams.get(current.parentId);
  }
  return supervisors;
}

/**
 * Whether `approverId` may decide on an export of `requesterId`: never the requester themself;
 * a security officer always; otherwise a supervisor of the requester's team or a team above it.
 */
export function approverAuthority(input: {
  approverId: string;
  approverRoles: readonly string[];
  requesterId: string;
  supervisors: readonly string[];
}): ApproverAuthority {
  if (input.approverId === input.requesterId) return null;
  if (input.approverRoles.includes('security_officer')) return 'security_officer';
  if (input.supervisors.includes(input.approverId)) return 'supervisor';
  return null;
}

/** The start of the UTC day of `now`, for the daily quota. */
export const utcDayStart = (now: Date): Date => new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
