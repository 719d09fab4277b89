import type { AccessState, RuleInput } from '../detection.types';
import type { CustomersAccessedSignal } from '../signal.types';
import { given, settingsWith, T0, USER } from '../../test/detection-fixtures';

type Accessed = Extract<RuleInput, { kind: 'customers-accessed' }>;

const viewed = (change: Partial<CustomersAccessedSignal> = {}): CustomersAccessedSignal => ({
  kind: 'customers-accessed',
  eventId: 'v-now',
  at: T0,
  userId: USER,
  customers: 1,
  reveals: 0,
  ...change,
});
const state = (change: Partial<AccessState> = {}): AccessState => ({
  customersInWindow: 10,
  baselinePeak: 40,
  baselineDays: 10,
  revealsInWindow: 0,
  eventIds: ['v-now'],
  departing: false,
  ...change,
});

describe('mass-viewing', () => {
  it('does not fire within the usual volume', () => {
    given<Accessed>(state({ customersInWindow: 60 })).when('customers-accessed', viewed()).doesNotFire('mass-viewing');
  });
  it('fires at 3× the usual peak once over minCustomers (150)', () => {
    given<Accessed>(state({ customersInWindow: 150, baselinePeak: 50 })).when('customers-accessed', viewed()).fires('mass-viewing');
  });
  it('does not fire one under 3× the peak', () => {
    given<Accessed>(state({ customersInWindow: 179, baselinePeak: 60 })).when('customers-accessed', viewed()).doesNotFire('mass-viewing');
  });
  it('does not fire under minCustomers even far above a tiny baseline', () => {
    given<Accessed>(state({ customersInWindow: 149, baselinePeak: 2 })).when('customers-accessed', viewed()).doesNotFire('mass-viewing');
  });
  it('uses only the absolute threshold while learning (2 < 3 days)', () => {
    given<Accessed>(state({ customersInWindow: 500, baselinePeak: 0, baselineDays: 2 })).when('customers-accessed', viewed()).doesNotFire('mass-viewing');
    given<Accessed>(state({ customersInWindow: 1000, baselinePeak: 0, baselineDays: 2 })).when('customers-accessed', viewed()).fires('mass-viewing');
  });
  it('honours a changed multiplier', () => {
    given<Accessed>(state({ customersInWindow: 160 }), settingsWith('mass-viewing', { thresholds: { baselineMultiplier: 4 } }))
      .when('customers-accessed', viewed())
      .fires('mass-viewing');
    given<Accessed>(state({ customersInWindow: 159 }), settingsWith('mass-viewing', { thresholds: { baselineMultiplier: 4 } }))
      .when('customers-accessed', viewed())
      .doesNotFire('mass-viewing');
  });
});

describe('departing-user-activity (viewing and reveals)', () => {
  it('fires when a departing user reveals 3 fields in the window', () => {
    given<Accessed>(state({ departing: true, revealsInWindow: 3 })).when('customers-accessed', viewed({ customers: 0, reveals: 1 })).fires('departing-user-activity');
  });
  it('does not fire at 2 reveals', () => {
    given<Accessed>(state({ departing: true, revealsInWindow: 2 })).when('customers-accessed', viewed({ customers: 0, reveals: 1 })).doesNotFire('departing-user-activity');
  });
  it('fires when a departing user views 1.5× their peak (and at least 50)', () => {
    given<Accessed>(state({ departing: true, customersInWindow: 60 })).when('customers-accessed', viewed()).fires('departing-user-activity');
  });
  it('does not fire for the same activity by an active user', () => {
    given<Accessed>(state({ departing: false, customersInWindow: 60, revealsInWindow: 5 })).when('customers-accessed', viewed()).doesNotFire('departing-user-activity');
  });
});
