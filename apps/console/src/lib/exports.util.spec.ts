import type { ExportView } from '../api/exports.api';
import {
  approvalReasonText,
  describeFilter,
  exportedRowsPerDay,
  exportFieldChoices,
  exportProgress,
  exportRequestSchema,
  exportsPollInterval,
  exportStatusDisplay,
  formatBytes,
  needsStepUp,
  orderFields,
  stepUpProof,
  usableStepUp,
  EMPTY_FILTER_FORM,
} from './exports.util';
import { validate } from './validation.util';

const STAFF_DECISIONS = {
  export: { allowed: true },
  read: {
    allowed: true,
    fieldLevels: { mobile: 'clear', email: 'clear', nationalId: 'masked', address: 'none' } as const,
  },
};

describe('exportFieldChoices', () => {
  it("offers the fields at the caller's levels: clear ones may be asked in clear, hidden ones not at all", () => {
    const { allowed, choices } = exportFieldChoices(STAFF_DECISIONS);
    expect(allowed).toBe(true);
    const byField = Object.fromEntries(choices.map((c) => [c.field, c]));
    expect(byField.mobile).toMatchObject({
      level: 'clear',
      exportable: true,
      clearable: true,
      sensitive: true,
    });
    expect(byField.nationalId).toMatchObject({ level: 'masked', exportable: true, clearable: false });
    expect(byField.address).toMatchObject({ level: 'none', exportable: false, clearable: false });
    expect(byField.name).toMatchObject({
      level: 'clear',
      exportable: true,
      clearable: false,
      sensitive: false,
    });
  });

  it('offers nothing when the caller may not export, or may not read, customers', () => {
    for (const decisions of [
      { ...STAFF_DECISIONS, export: { allowed: false } },
      { ...STAFF_DECISIONS, read: { allowed: false } },
    ]) {
      const { allowed, choices } = exportFieldChoices(decisions);
      expect(allowed).toBe(false);
      expect(choices.filter((c) => c.exportable)).toEqual([]);
    }
  });

  it('treats a sensitive field the decision does not name as not visible (deny by default)', () => {
    const { choices } = exportFieldChoices({ export: { allowed: true }, read: { allowed: true } });
    expect(choices.find((c) => c.field === 'email')).toMatchObject({ level: 'none', exportable: false });
  });
});

describe('exportRequestSchema', () => {
  const form = {
    filter: EMPTY_FILTER_FORM,
    fields: ['name', 'mobile'],
    clearFields: [],
    format: 'csv',
    reason: 'quarterly review',
  };

  it('builds the filter from the customer search fields, leaving out the empty ones', () => {
    const checked = validate(exportRequestSchema, {
      ...form,
      filter: { ...EMPTY_FILTER_FORM, q: ' Acme ', tags: 'vip, north,, vip', classification: 'internal' },
    });
    expect(checked).toEqual({
      ok: true,
      value: {
        filter: { q: 'Acme', tags: ['vip', 'north'], classification: 'internal' },
        fields: ['name', 'mobile'],
        clearFields: [],
        format: 'csv',
        reason: 'quarterly review',
      },
    });
  });

  it('names each problem: no field, no reason, a bad filter value', () => {
    const checked = validate(exportRequestSchema, {
      ...form,
      fields: [],
      reason: 'x',
      filter: {
        ...EMPTY_FILTER_FORM,
        tags: Array.from({ length: 21 }, (_, i) => `t${i}`).join(','),
        status: 'gone',
      },
    });
    expect(checked).toEqual({
      ok: false,
      errors: {
        fields: 'Choose at least one field',
        reason: expect.stringMatching(/^Say why you need this export/),
        'filter.tags': 'At most 20 tags',
        'filter.status': 'Choose active or archived',
      },
    });
  });

  it('refuses a field in clear that is not among the exported fields', () => {
    expect(validate(exportRequestSchema, { ...form, fields: ['name'], clearFields: ['mobile'] })).toEqual({
      ok: false,
      errors: { clearFields: 'Mobile in clear needs the field itself among the fields' },
    });
  });

  it('keeps the columns in the order of the file', () => {
    expect(orderFields(['email', 'name', 'mobile'])).toEqual(['name', 'mobile', 'email']);
  });
});

const view = (over: Partial<ExportView>): ExportView => ({
  id: 'e1',
  status: 'queued',
  requesterId: 'u1',
  teamId: null,
  format: 'csv',
  fields: ['name'],
  clearFields: [],
  filter: {},
  reason: 'r',
  estimatedRows: 10,
  approvalRequired: false,
  approvalReasons: [],
  approvalExpiresAt: null,
  approverId: null,
  decisionComment: null,
  progress: { rowsDone: 0, rowsTotal: 0 },
  rowCount: null,
  bytes: null,
  createdAt: '2030-06-01T10:00:00Z',
  decidedAt: null,
  startedAt: null,
  completedAt: null,
  downloadedAt: null,
  cancelledAt: null,
  ...over,
});

describe('export display', () => {
  it('polls often while an export is generated, slowly while one waits, not at all otherwise', () => {
    expect(exportsPollInterval([view({ status: 'completed' }), view({ status: 'running' })])).toBe(1500);
    expect(exportsPollInterval([view({ status: 'pending_approval' })])).toBe(5000);
    expect(exportsPollInterval([view({ status: 'downloaded' }), view({ status: 'rejected' })])).toBe(false);
    expect(exportsPollInterval([])).toBe(false);
  });

  it('shows progress in percent, complete once generated', () => {
    expect(exportProgress(view({ status: 'running', progress: { rowsDone: 250, rowsTotal: 1000 } }))).toBe(
      25,
    );
    expect(exportProgress(view({ status: 'running', progress: { rowsDone: 0, rowsTotal: 0 } }))).toBe(0);
    expect(exportProgress(view({ status: 'running', progress: { rowsDone: 12, rowsTotal: 10 } }))).toBe(100);
    expect(exportProgress(view({ status: 'completed', progress: { rowsDone: 0, rowsTotal: 0 } }))).toBe(100);
  });

  it('says statuses, approval reasons and filters in words', () => {
    expect(exportStatusDisplay('pending_approval')).toEqual({ label: 'awaiting approval', color: 'yellow' });
    expect(exportStatusDisplay('completed').label).toBe('ready to download');
    expect(exportStatusDisplay('something_new')).toEqual({ label: 'something_new', color: 'gray' });
    expect(approvalReasonText('row_threshold')).toBe('more rows than the approval threshold');
    expect(approvalReasonText('clear_sensitive_fields')).toBe('sensitive fields in clear');
    expect(approvalReasonText('new_rule')).toBe('new rule');
    expect(describeFilter({})).toBe('every customer in the requester’s view');
    expect(describeFilter({ q: 'acme', tags: ['vip', 'north'], mobile: '139****0101' })).toBe(
      'name or company contains: acme; tags: vip, north; mobile: 139****0101',
    );
    expect(formatBytes(null)).toBe('—');
    expect(formatBytes(850)).toBe('850 B');
    expect(formatBytes(1536)).toBe('1.5 KB');
    expect(formatBytes(25 * 1024 * 1024)).toBe('25 MB');
  });

  it('sums the rows of completed exports per local day, oldest first', () => {
    const now = new Date(2030, 5, 7, 12);
    expect(
      exportedRowsPerDay(
        [
          view({ completedAt: new Date(2030, 5, 7, 9).toISOString(), rowCount: 120 }),
          view({ completedAt: new Date(2030, 5, 7, 11).toISOString(), rowCount: 30 }),
          view({ completedAt: new Date(2030, 5, 5, 9).toISOString(), rowCount: 7 }),
          view({ completedAt: null, rowCount: null, estimatedRows: 999 }),
          view({ completedAt: new Date(2030, 4, 1).toISOString(), rowCount: 5 }),
        ],
        now,
        3,
      ),
    ).toEqual([
      { day: '2030-06-05', rows: 7 },
      { day: '2030-06-06', rows: 0 },
      { day: '2030-06-07', rows: 150 },
    ]);
  });
});

describe('step-up', () => {
  it('is needed for clear fields only', () => {
    expect(needsStepUp(view({ clearFields: ['mobile'] }))).toBe(true);
    expect(needsStepUp(view({ clearFields: [] }))).toBe(false);
  });

  it('keeps a proof for its lifetime less a margin, then asks for a new code', () => {
    const proof = stepUpProof('jwt', 300, 1_000_000);
    expect(usableStepUp(proof, 1_000_000)).toBe('jwt');
    expect(usableStepUp(proof, 1_000_000 + 279_000)).toBe('jwt');
    expect(usableStepUp(proof, 1_000_000 + 281_000)).toBeNull();
    expect(usableStepUp(null, 0)).toBeNull();
  });
});
