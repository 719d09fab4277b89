import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { Grant } from '../api/authorization.api';
import { renderInConsole, type Routes } from '../test/render-console';
import { GrantApprovals } from './grant-approvals';

const SUPERVISOR = { userId: 'a0000000-0000-7000-8000-000000000001', username: 'sue', roles: ['supervisor'] };
const OFFICER = { userId: 'a0000000-0000-7000-8000-000000000002', username: 'otto', roles: ['security_officer'] };
const SAM = 'b0000000-0000-7000-8000-000000000003';

const grant = (overrides: Partial<Grant> = {}): Grant => ({
  id: 'c0000000-0000-7000-8000-000000000004',
  userId: SAM,
  permissions: [
    {
      action: 'read',
      subject: 'Customer',
      conditions: { owner: 'me', classification: 'within-clearance' },
      fields: { nationalId: 'clear', address: 'clear' },
    },
  ],
  reason: 'Identity checks',
  status: 'pending',
  expiresAt: new Date(Date.now() + 2 * 86_400_000).toISOString(),
  requestedBy: SAM,
  decidedBy: null,
  comment: null,
  createdAt: new Date().toISOString(),
  ...overrides,
});

const pending = (grants: Grant[]): Routes => ({
  'GET /api/authorization/v1/grants?status=pending': { status: 200, body: grants },
});

describe('GrantApprovals', () => {
  it('shows a security officer each request in plain words, with the person by name', async () => {
    renderInConsole(<GrantApprovals />, {
      person: OFFICER,
      routes: {
        ...pending([grant()]),
        [`GET /api/authorization/v1/users/${SAM}`]: {
          status: 200,
          body: { id: SAM, username: 'sam.staff', displayName: 'Sam Staff' },
        },
      },
    });
    const request = await screen.findByRole('region', { name: 'Grant request of Sam Staff (sam.staff)' });
    expect(request.textContent).toContain('Read customers');
    expect(request.textContent).toContain('customers they own, up to their clearance');
    expect(request.textContent).toContain('National ID and Address in clear');
    expect(request.textContent).toContain('“Identity checks”');
    expect(request.textContent).toContain('(in 2 days)');
    expect(screen.queryByText(/shown by their user id/)).toBeNull();
  });

  it('shows a supervisor the person by the name the grant list gives, without reading the directory', async () => {
    const { calls } = renderInConsole(<GrantApprovals />, {
      person: SUPERVISOR,
      routes: pending([grant({ grantee: { username: 'sam.staff', displayName: 'Sam Staff' } })]),
    });
    await screen.findByRole('region', { name: 'Grant request of Sam Staff (sam.staff)' });
    expect(screen.queryByText(/Your role may not read the user directory/)).toBeNull();
    expect(calls.some((call) => call.path.startsWith('/api/authorization/v1/users/'))).toBe(false);
  });

  it('shows a supervisor (no directory) the whole user id of a grantee the list does not name, and says why; leaves out their own requests', async () => {
    const { calls } = renderInConsole(<GrantApprovals />, {
      person: SUPERVISOR,
      routes: pending([grant(), grant({ id: 'own', userId: SUPERVISOR.userId, reason: 'Mine' })]),
    });
    await screen.findByRole('region', { name: `Grant request of user ${SAM}` });
    expect(screen.getByText(/Your role may not read the user directory/)).toBeTruthy();
    expect(screen.queryByText(/Mine/)).toBeNull();
    expect(calls.some((call) => call.path.startsWith('/api/authorization/v1/users/'))).toBe(false);
  });

  it('approves with the comment and says until when the grant is active', async () => {
    const user = userEvent.setup();
    let decided = false;
    const { calls } = renderInConsole(<GrantApprovals />, {
      person: SUPERVISOR,
      routes: {
        'GET /api/authorization/v1/grants?status=pending': () => ({
          status: 200,
          body: decided ? [] : [grant()],
        }),
        [`POST /api/authorization/v1/grants/${grant().id}/approve`]: () => {
          decided = true;
          return { status: 200, body: grant({ status: 'active' }) };
        },
      },
    });
    const request = await screen.findByRole('region', { name: /^Grant request of/ });
    await user.type(within(request).getByLabelText('Comment'), 'Only this week');
    await user.click(within(request).getByRole('button', { name: 'Approve' }));
    expect(await screen.findByText(/approved: it is active until/)).toBeTruthy();
    expect(calls.find((call) => call.method === 'POST')?.body).toEqual({ comment: 'Only this week' });
    expect(await screen.findByText('No grant request to decide')).toBeTruthy();
  });

  it('keeps the request on screen with the service’s reason when a decision is refused', async () => {
    const user = userEvent.setup();
    renderInConsole(<GrantApprovals />, {
      person: SUPERVISOR,
      routes: {
        ...pending([grant()]),
        [`POST /api/authorization/v1/grants/${grant().id}/reject`]: {
          status: 403,
          body: { code: 'FORBIDDEN', message: "only a supervisor of the grantee's team may decide on this grant" },
        },
      },
    });
    const request = await screen.findByRole('region', { name: /^Grant request of/ });
    await user.click(within(request).getByRole('button', { name: 'Reject' }));
    const alert = await within(request).findByRole('alert', { name: 'Not done' });
    expect(alert.textContent).toContain("only a supervisor of the grantee's team may decide on this grant");
    expect(screen.getByRole('region', { name: /^Grant request of/ })).toBe(request);
  });

  it('explains an empty inbox and what fills it', async () => {
    renderInConsole(<GrantApprovals />, { person: SUPERVISOR, routes: pending([]) });
    expect(await screen.findByText('No grant request to decide')).toBeTruthy();
    expect(screen.getByText(/asks for temporary access under “Grants”/)).toBeTruthy();
  });
});
