import {
  approvalReasons,
  approverAuthority,
  DEFAULT_APPROVAL_POLICY,
  settingsForTeam,
  supervisorsUpTheHierarchy,
  type ApprovalFacts,
  type DirectoryTeam,
} from './export-policy.util';

const quiet: ApprovalFacts = { estimatedRows: 50, clearSensitiveFields: [], rowsEarlierToday: 0, departing: false, openAlerts: 0 };

describe('Export approval policy', () => {
  it('needs no approval for a small masked export by an ordinary requester', () => {
    expect(approvalReasons(quiet, DEFAULT_APPROVAL_POLICY)).toEqual([]);
  });

  it('needs approval above 200 rows, not at 200', () => {
    expect(approvalReasons({ ...quiet, estimatedRows: 200 }, DEFAULT_APPROVAL_POLICY)).toEqual([]);
    expect(approvalReasons({ ...quiet, estimatedRows: 201 }, DEFAULT_APPROVAL_POLICY)).toEqual(['row_threshold']);
  });

  it('needs approval for any sensitive field in clear', () => {
    expect(approvalReasons({ ...quiet, clearSensitiveFields: ['nationalId'] }, DEFAULT_APPROVAL_POLICY)).toEqual(['clear_sensitive_fields']);
  });

  it('needs approval when the daily quota of 5,000 rows would be exceeded', () => {
    expect(approvalReasons({ ...quiet, estimatedRows: 100, rowsEarlierToday: 4900 }, DEFAULT_APPROVAL_POLICY)).toEqual([]);
    expect(approvalReasons({ ...quiet, estimatedRows: 101, rowsEarlierToday: 4900 }, DEFAULT_APPROVAL_POLICY)).toEqual(['daily_quota']);
  });

  it('needs approval when the requester is departing', () => {
    expect(approvalReasons({ ...quiet, departing: true }, DEFAULT_APPROVAL_POLICY)).toEqual(['departing_requester']);
  });

  it('needs approval when the requester is under an open alert', () => {
    expect(approvalReasons({ ...quiet, openAlerts: 1 }, DEFAULT_APPROVAL_POLICY)).toEqual(['open_alert']);
  });

  it('lists every reason that applies', () => {
    const all: ApprovalFacts = { estimatedRows: 6000, clearSensitiveFields: ['mobile'], rowsEarlierToday: 0, departing: true, openAlerts: 2 };
    expect(approvalReasons(all, DEFAULT_APPROVAL_POLICY)).toEqual([
      'row_threshold',
      'clear_sensitive_fields',
      'daily_quota',
      'departing_requester',
      'open_alert',
    ]);
  });

  it("applies a team's overrides and only that team's", () => {
    const overrides = { 'team-big': { rowThreshold: 10_000, dailyRowQuota: 50_000 }, 'team-strict': { rowThreshold: 0 } };
    const big = settingsForTeam('team-big', DEFAULT_APPROVAL_POLICY, overrides);
    expect(approvalReasons({ ...quiet, estimatedRows: 6000 }, big)).toEqual([]);
    expect(approvalReasons({ ...quiet, estimatedRows: 1 }, settingsForTeam('team-strict', DEFAULT_APPROVAL_POLICY, overrides))).toEqual([
      'row_threshold',
    ]);
    expect(settingsForTeam('other', DEFAULT_APPROVAL_POLICY, overrides)).toEqual(DEFAULT_APPROVAL_POLICY);
    expect(settingsForTeam(null, DEFAULT_APPROVAL_POLICY, overrides)).toEqual(DEFAULT_APPROVAL_POLICY);
  });

  it('can switch off a condition for a team', () => {
    const relaxed = settingsForTeam('t', DEFAULT_APPROVAL_POLICY, { t: { openAlertNeedsApproval: false } });
    expect(approvalReasons({ ...quiet, openAlerts: 3 }, relaxed)).toEqual([]);
  });
});

describe('Who may approve', () => {
  const teams = new Map<string, DirectoryTeam>([
    ['root', { teamId: 'root', parentId: null, supervisorId: 'head' }],
    ['sales', { teamId: 'sales', parentId: 'root', supervisorId: 'sales-lead' }],
    ['north', { teamId: 'north', parentId: 'sales', supervisorId: null }],
    ['loop-a', { teamId: 'loop-a', parentId: 'loop-b', supervisorId: 'a' }],
    ['loop-b', { teamId: 'loop-b', parentId: 'loop-a', supervisorId: 'b' }],
  ]);

  it('finds the supervisors up the team hierarchy, nearest first', () => {
    expect(supervisorsUpTheHierarchy('north', teams)).toEqual(['sales-lead', 'head']);
    expect(supervisorsUpTheHierarchy(null, teams)).toEqual([]);
    expect(supervisorsUpTheHierarchy('unknown', teams)).toEqual([]);
  });

  it('stops at a cycle in the hierarchy', () => {
    expect(supervisorsUpTheHierarchy('loop-a', teams)).toEqual(['a', 'b']);
  });

  const supervisors = supervisorsUpTheHierarchy('north', teams);
  it('lets a supervisor up the hierarchy approve', () => {
    expect(approverAuthority({ approverId: 'head', approverRoles: ['supervisor'], requesterId: 'staff-1', supervisors })).toBe('supervisor');
  });

  it('lets a security officer approve any export', () => {
    expect(approverAuthority({ approverId: 'so', approverRoles: ['security_officer'], requesterId: 'staff-1', supervisors })).toBe(
      'security_officer',
    );
  });

  it('refuses a supervisor of another branch and an ordinary colleague', () => {
    expect(approverAuthority({ approverId: 'other-lead', approverRoles: ['supervisor'], requesterId: 'staff-1', supervisors })).toBeNull();
    expect(approverAuthority({ approverId: 'staff-2', approverRoles: ['staff'], requesterId: 'staff-1', supervisors })).toBeNull();
  });

  it('never lets the requester approve, even a supervisor or security officer', () => {
    expect(
      approverAuthority({ approverId: 'sales-lead', approverRoles: ['security_officer'], requesterId: 'sales-lead', supervisors }),
    ).toBeNull();
  });
});
