import type { ExportCompletedState, ExportDownloadedState, RuleInput } from '../detection.types';
import type { ExportCompletedSignal, ExportDownloadedSignal } from '../signal.types';
import { given, settingsWith, T0, USER } from '../../test/detection-fixtures';

type Completed = Extract<RuleInput, { kind: 'export-completed' }>;
type Downloaded = Extract<RuleInput, { kind: 'export-downloaded' }>;

const completed = (change: Partial<ExportCompletedSignal> = {}): ExportCompletedSignal => ({
  kind: 'export-completed',
  eventId: 'x-now',
  at: T0,
  userId: USER,
  exportId: 'exp-1',
  rowCount: 100,
  clearFields: [],
  ...change,
});
const rows = (rowsInWindow: number, rowsBaseline = 0, departing = false): ExportCompletedState => ({
  rowsInWindow,
  rowsBaseline,
  eventIds: ['x-now', 'x-1'],
  departing,
});

describe('bulk-export', () => {
  it('fires at the absolute threshold (5,000 rows in the hour) whatever the baseline', () => {
    given<Completed>(rows(5000, 1_000_000)).when('export-completed', completed({ rowCount: 5000 })).fires('bulk-export');
  });
  it('does not fire at 4,999 rows when the baseline is higher', () => {
    given<Completed>(rows(4999, 10_000)).when('export-completed', completed()).doesNotFire('bulk-export');
  });
  it('fires when the hour exceeds the whole previous 14 days (and minRows)', () => {
    const f = given<Completed>(rows(801, 800)).when('export-completed', completed()).fires('bulk-export');
    expect(f.summary).toMatch(/more than the 800/);
  });
  it('does not fire when the hour equals the previous 14 days', () => {
    given<Completed>(rows(800, 800)).when('export-completed', completed()).doesNotFire('bulk-export');
  });
  it('does not fire under minRows even without a baseline', () => {
    given<Completed>(rows(499, 0)).when('export-completed', completed()).doesNotFire('bulk-export');
  });
  it('honours a lower absolute threshold', () => {
    given<Completed>(rows(300, 10_000), settingsWith('bulk-export', { thresholds: { absoluteRows: 300 } }))
      .when('export-completed', completed())
      .fires('bulk-export');
  });
});

describe('clear-sensitive-export', () => {
  it('fires for an export with a sensitive field in clear', () => {
    const f = given<Completed>(rows(10, 1000)).when('export-completed', completed({ clearFields: ['mobile'] })).fires('clear-sensitive-export');
    expect(f.summary).toContain('mobile');
  });
  it('does not fire for a masked export', () => {
    given<Completed>(rows(10, 1000)).when('export-completed', completed()).doesNotFire('clear-sensitive-export');
  });
  it('does not fire for an empty export when minRows is 1', () => {
    given<Completed>(rows(0, 1000)).when('export-completed', completed({ rowCount: 0, clearFields: ['email'] })).doesNotFire('clear-sensitive-export');
  });
});

describe('departing-user-activity (exports)', () => {
  it('fires for any export by a departing user', () => {
    given<Completed>(rows(10, 1000, true)).when('export-completed', completed({ rowCount: 10 })).fires('departing-user-activity');
  });
  it('does not fire for the same export by an active user', () => {
    given<Completed>(rows(10, 1000, false)).when('export-completed', completed({ rowCount: 10 })).doesNotFire('departing-user-activity');
  });
});

describe('download-ip-mismatch', () => {
  const downloaded = (change: Partial<ExportDownloadedSignal> = {}): ExportDownloadedSignal => ({
    kind: 'export-downloaded',
    eventId: 'dl-now',
    at: T0,
    userId: USER,
    exportId: 'exp-1',
    network: '81.2.69.0/24',
    country: 'GB',
    ...change,
  });
  const requested = (network: string | null, country: string | null): ExportDownloadedState => ({
    requested: { network, country, eventId: 'req-1' },
  });

  it('does not fire for a download from where it was requested', () => {
    given<Downloaded>(requested('81.2.69.0/24', 'GB')).when('export-downloaded', downloaded()).doesNotFire('download-ip-mismatch');
  });
  it('fires (raised severity) for a download from another country', () => {
    const f = given<Downloaded>(requested('81.2.69.0/24', 'GB')).when('export-downloaded', downloaded({ country: 'CN', network: '1.2.3.0/24' })).fires('download-ip-mismatch');
    expect(f).toMatchObject({ severity: 'high', evidence: ['dl-now', 'req-1'] });
  });
  it('fires for another network of the same country', () => {
    const f = given<Downloaded>(requested('81.2.70.0/24', 'GB')).when('export-downloaded', downloaded()).fires('download-ip-mismatch');
    expect(f.severity).toBe('medium');
  });
  it('with countryOnly, ignores a change of network within the country', () => {
    given<Downloaded>(requested('81.2.70.0/24', 'GB'), settingsWith('download-ip-mismatch', { thresholds: { countryOnly: 1 } }))
      .when('export-downloaded', downloaded())
      .doesNotFire('download-ip-mismatch');
  });
  it('does not fire when the request is unknown', () => {
    given<Downloaded>({ requested: null }).when('export-downloaded', downloaded()).doesNotFire('download-ip-mismatch');
  });
});
