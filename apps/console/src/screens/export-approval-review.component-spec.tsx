import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { ExportView } from '../api/exports.api';
import type { StepUpProof } from '../lib/exports.util';
import { renderInConsole } from '../test/render-console';
import { ApprovalReview } from './export-approvals.screen';

const SUPERVISOR = { userId: 'a0000000-0000-7000-8000-000000000001', username: 'sue', roles: ['supervisor'] };
const ID = 'e0000000-0000-7000-8000-000000000009';

const exportView = (overrides: Partial<ExportView> = {}): ExportView => ({
  id: ID,
  status: 'pending_approval',
  requesterId: 'b0000000-0000-7000-8000-000000000003',
  teamId: null,
  format: 'csv',
  fields: ['name', 'mobile'],
  clearFields: ['mobile'],
  filter: {},
  reason: 'Call campaign',
  estimatedRows: 5,
  approvalRequired: true,
  approvalReasons: ['clear_sensitive_fields'],
  approvalExpiresAt: null,
  approverId: null,
  decisionComment: null,
  progress: { rowsDone: 0, rowsTotal: 0 },
  rowCount: null,
  bytes: null,
  createdAt: new Date().toISOString(),
  decidedAt: null,
  startedAt: null,
  completedAt: null,
  downloadedAt: null,
  cancelledAt: null,
  requesterHistory: [],
  ...overrides,
});

describe('ApprovalReview (an export under review)', () => {
  it('asks for a valid authenticator code before approving fields in clear, then sends the step-up proof with the approval', async () => {
    const user = userEvent.setup();
    const proof: { current: StepUpProof | null } = { current: null };
    const onDone = jest.fn();
    const { calls } = renderInConsole(<ApprovalReview id={ID} proof={proof} onDone={onDone} />, {
      person: SUPERVISOR,
      routes: {
        [`GET /api/exports/v1/exports/${ID}`]: { status: 200, body: exportView() },
        'POST /api/authorization/v1/auth/step-up': { status: 200, body: { stepUpToken: 'proof-1', expiresIn: 300 } },
        [`POST /api/exports/v1/exports/${ID}/approve`]: { status: 200, body: exportView({ status: 'queued' }) },
      },
    });
    const form = await screen.findByRole('form', { name: 'Decide on the export' });
    expect(within(form).getByTestId('review-clear-fields').textContent).toBe('Mobile');
    const code = within(form).getByLabelText('Code from your authenticator app');

    await user.click(within(form).getByRole('button', { name: 'Approve' }));
    expect(await within(form).findByText('Enter the 6-digit code your authenticator app shows')).toBeTruthy();
    await user.type(code, '12ab');
    await user.keyboard('{Enter}');
    expect(calls.filter((call) => call.method === 'POST')).toEqual([]);

    await user.clear(code);
    await user.type(code, '123456{Enter}');
    expect(await screen.findByText(/Export approved; it is now/)).toBeTruthy();
    expect(calls.filter((call) => call.method === 'POST')).toEqual([
      { method: 'POST', path: '/api/authorization/v1/auth/step-up', body: { totp: '123456' } },
      { method: 'POST', path: `/api/exports/v1/exports/${ID}/approve`, body: { comment: null, stepUpToken: 'proof-1' } },
    ]);
    expect(proof.current?.token).toBe('proof-1');
    expect(onDone).toHaveBeenCalled();
  });

  it('asks no new code while the screen holds a fresh proof', async () => {
    const proof = { current: { token: 'kept', expiresAtMs: Date.now() + 120_000 } };
    const { calls } = renderInConsole(<ApprovalReview id={ID} proof={proof} onDone={() => undefined} />, {
      person: SUPERVISOR,
      routes: {
        [`GET /api/exports/v1/exports/${ID}`]: { status: 200, body: exportView() },
        [`POST /api/exports/v1/exports/${ID}/approve`]: { status: 200, body: exportView({ status: 'queued' }) },
      },
    });
    expect(await screen.findByText(/no new code is needed/)).toBeTruthy();
    expect(screen.queryByLabelText('Code from your authenticator app')).toBeNull();
    await userEvent.setup().click(screen.getByRole('button', { name: 'Approve' }));
    await screen.findByText(/Export approved/);
    expect(calls.find((call) => call.method === 'POST')?.body).toEqual({ comment: null, stepUpToken: 'kept' });
  });

  it('says what to do when the approver has no authenticator, and forgets the proof', async () => {
    const user = userEvent.setup();
    const proof: { current: StepUpProof | null } = { current: null };
    renderInConsole(<ApprovalReview id={ID} proof={proof} onDone={() => undefined} />, {
      person: SUPERVISOR,
      routes: {
        [`GET /api/exports/v1/exports/${ID}`]: { status: 200, body: exportView() },
        'POST /api/authorization/v1/auth/step-up': {
          status: 403,
          body: { code: 'STEP_UP_MFA_NOT_ENROLLED', message: 'no MFA enrolled' },
        },
      },
    });
    await user.type(await screen.findByLabelText('Code from your authenticator app'), '123456');
    await user.click(screen.getByRole('button', { name: 'Approve' }));
    const form = screen.getByRole('form', { name: 'Decide on the export' });
    const alert = await within(form).findByRole('alert', { name: 'Not done' });
    expect(alert.textContent).toContain('set up an authenticator app under “Sessions”');
    expect(proof.current).toBeNull();
  });

  it('shows no code field for an export without fields in clear', async () => {
    renderInConsole(<ApprovalReview id={ID} proof={{ current: null }} onDone={() => undefined} />, {
      person: SUPERVISOR,
      routes: {
        [`GET /api/exports/v1/exports/${ID}`]: {
          status: 200,
          body: exportView({ clearFields: [], approvalReasons: ['row_threshold'] }),
        },
      },
    });
    expect(await screen.findByText('none: sensitive fields are masked')).toBeTruthy();
    expect(screen.queryByLabelText('Code from your authenticator app')).toBeNull();
  });

  it('names the requester when the exports service knows them, else shows their user id', async () => {
    const { unmount } = renderInConsole(<ApprovalReview id={ID} proof={{ current: null }} onDone={() => undefined} />, {
      person: SUPERVISOR,
      routes: {
        [`GET /api/exports/v1/exports/${ID}`]: { status: 200, body: exportView({ requesterName: 'Lin Wei', requesterUsername: 'lin.wei' }) },
      },
    });
    const form = await screen.findByRole('form', { name: 'Decide on the export' });
    expect(within(form).getByText('Lin Wei', { exact: false })).toBeTruthy();
    expect(within(form).getByText('lin.wei')).toBeTruthy();
    expect(within(form).queryByText('b0000000-0000-7000-8000-000000000003')).toBeNull();
    unmount();

    renderInConsole(<ApprovalReview id={ID} proof={{ current: null }} onDone={() => undefined} />, {
      person: SUPERVISOR,
      routes: { [`GET /api/exports/v1/exports/${ID}`]: { status: 200, body: exportView({ requesterName: null, requesterUsername: null }) } },
    });
    const again = await screen.findByRole('form', { name: 'Decide on the export' });
    expect(within(again).getByText('b0000000-0000-7000-8000-000000000003')).toBeTruthy();
  });
});
