import { act, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { AlertView } from '../api/alerts.api';
import { AlertsScreen } from '../screens/alerts.screen';
import { eventStream, renderInConsole } from '../test/render-console';
import { AlertFeedProvider } from './alert-feed';

const OFFICER = { userId: 'a0000000-0000-7000-8000-000000000002', username: 'otto', roles: ['security_officer'] };
const LIST = 'GET /api/anomaly-alerting/v1/alerts?limit=100';
const STREAM = 'GET /api/anomaly-alerting/v1/alerts/stream';

const alert = (overrides: Partial<AlertView>): AlertView => ({
  id: 'alert-1',
  rule: 'bulk-export',
  severity: 'low',
  score: 10,
  userId: 'b0000000-0000-7000-8000-000000000003',
  summary: 'Exported 5 rows',
  evidence: [],
  count: 1,
  firstSeenAt: new Date().toISOString(),
  lastSeenAt: new Date().toISOString(),
  status: 'open',
  acknowledgedBy: null,
  acknowledgedAt: null,
  resolvedBy: null,
  resolvedAt: null,
  resolution: null,
  comment: null,
  responses: [],
  ...overrides,
});

const renderFeed = (alerts: AlertView[], stream = eventStream()) => ({
  stream,
  ...renderInConsole(
    <AlertFeedProvider>
      <AlertsScreen />
    </AlertFeedProvider>,
    {
      person: OFFICER,
      routes: { [LIST]: { status: 200, body: { items: alerts, nextCursor: null } }, [STREAM]: { status: 200, stream: stream.stream } },
    },
  ),
});

/** The colour Mantine gives a badge, from its style (`--badge-bg: var(--mantine-color-red-filled)`). */
const badgeColor = (row: HTMLElement, severity: string): string =>
  /--mantine-color-(\w+)-filled/.exec(within(row).getByText(severity).closest('.mantine-Badge-root')?.getAttribute('style') ?? '')?.[1] ?? '';

describe('the alert feed', () => {
  it('shows each severity in its colour, and only the alerts that need action by default', async () => {
    const user = userEvent.setup();
    renderFeed([
      alert({ id: 'a-low', severity: 'low', summary: 'low one' }),
      alert({ id: 'a-medium', severity: 'medium', summary: 'medium one' }),
      alert({ id: 'a-high', severity: 'high', summary: 'high one', status: 'acknowledged' }),
      alert({ id: 'a-critical', severity: 'critical', summary: 'critical one' }),
      alert({ id: 'a-closed', severity: 'critical', summary: 'closed one', status: 'resolved' }),
    ]);
    await screen.findByTestId('alert-row-a-low');
    expect(
      ['low', 'medium', 'high', 'critical'].map((s) => badgeColor(screen.getByTestId(`alert-row-a-${s}`), s)),
    ).toEqual(['blue', 'yellow', 'orange', 'red']);
    expect(screen.queryByTestId('alert-row-a-closed')).toBeNull();
    await user.click(screen.getByText('Closed'));
    expect(await screen.findByTestId('alert-row-a-closed')).toBeTruthy();
    expect(screen.queryByTestId('alert-row-a-low')).toBeNull();
  });

  it('adds an alert raised on the stream at the top, with a notification and a polite announcement', async () => {
    const { stream } = renderFeed([alert({ id: 'old', summary: 'an older alert' })]);
    await screen.findByTestId('alert-row-old');
    expect((await screen.findByTestId('stream-status')).textContent).toBe('Live');
    const raised = alert({ id: 'new', severity: 'high', rule: 'mass-viewing', summary: 'Viewed 400 customers in 5 min' });
    await act(async () => {
      stream.send(
        {
          type: 'AlertRaised',
          occurredAt: raised.firstSeenAt,
          data: { ...raised, alertId: raised.id },
        },
        '42',
      );
    });
    const row = await screen.findByTestId('alert-row-new');
    const rows = within(screen.getByRole('table', { name: 'Alerts' })).getAllByRole('row').slice(1);
    expect(rows[0]).toBe(row);
    expect(badgeColor(row, 'high')).toBe('orange');
    expect(await screen.findByText('New high alert: Mass viewing of customers')).toBeTruthy();
    expect(screen.getByTestId('alert-announcement').textContent).toBe(
      'New high alert: Mass viewing of customers. Viewed 400 customers in 5 min',
    );
  });

  it('announces an alert raised to a higher severity, and not one that stays the same', async () => {
    const { stream } = renderFeed([alert({ id: 'known', severity: 'medium', rule: 'bulk-export', summary: 'Exported rows' })]);
    await screen.findByTestId('alert-row-known');
    await screen.findByText('Live');
    const update = (severity: string, id: string) =>
      act(async () => {
        stream.send(
          {
            type: 'AlertUpdated',
            occurredAt: new Date().toISOString(),
            data: { alertId: 'known', severity, score: 50, addedEvidence: [], count: 2, lastSeenAt: new Date().toISOString() },
          },
          id,
        );
      });
    await update('medium', '1');
    expect(await within(screen.getByTestId('alert-row-known')).findByText('2×')).toBeTruthy();
    expect(screen.getByTestId('alert-announcement').textContent).toBe('');
    await update('critical', '2');
    expect(await screen.findByText('Alert raised to critical: Bulk export')).toBeTruthy();
    expect(badgeColor(screen.getByTestId('alert-row-known'), 'critical')).toBe('red');
  });

  it('explains an empty feed and where the rules are', async () => {
    renderFeed([]);
    expect(await screen.findByText('Nothing needs your attention')).toBeTruthy();
    expect(screen.getByText(/adjust the rules under "Detection rules"/)).toBeTruthy();
  });
});
