import { readFileSync } from 'node:fs';
import { expectEventually } from '@warden/testing';
import { generate } from 'otplib';
import type { Page } from 'playwright-core';
import { collectErrors, launchChromium, screenshot, type Browser } from './test/browser';
import { launchStack, type Stack } from './test/stack';
import { nextStepCode, wardenApi, type Person, type WardenApi } from './test/warden-api';

const UI_TIMEOUT = 30_000;
/** Waits on Kafka consumers (the exports directory, the audit indexer): generous, for a loaded machine. */
const EVENTUALLY = { timeoutMs: 120_000, intervalMs: 500 };
const REASON = 'Quarterly review of my accounts';
const CLEAR_REASON = 'Call campaign needs the numbers';

const GRANT_REASON = 'Identity checks for the audit visit';
const REJECTED_REASON = 'Cover for a colleague on leave';

/** `2030-06-01 14:05` in local time, as the console shows a date. */
const localDateTime = (date: Date): string => {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}`;
};

const nav = (page: Page, name: string) =>
  page.getByRole('navigation', { name: 'Main navigation' }).getByRole('link', { name, exact: true });

/**
 * Exports and audit in headless chromium against the running stack (authorization, customer-records,
 * exports, audit and the gateway serving a fresh console build; real Postgres, Redis and Kafka;
 * approval threshold 3 rows): a staff member requests an export above the threshold, the supervisor
 * approves it in the inbox (and, after setting up an authenticator, a clear-field export with the
 * TOTP step-up), the staff member downloads
 * it once and sees a second use refused; the supervisor approves one grant request of the staff member
 * and rejects another in the same inbox; an auditor finds the export events in the trail, exports the
 * search, reads a customer's access history, a monthly and a quarterly report and the verification. Every screen is
 * saved under e2e/browser/artifacts/ and must log no console error.
 */
describe('exports and audit in the browser (running stack)', () => {
  let stack: Stack;
  let api: WardenApi;
  let browser: Browser;
  let staff: Person;
  let supervisor: Person;
  let auditor: Person;
  let staffToken: string;
  let viewedCustomerId: string;
  const pages: Record<string, { page: Page; errors: string[] }> = {};
  const suffix = String(Date.now()).slice(-6);

  /** A page of its own (its own tab: its own session) signed in as `person`. */
  const signIn = async (who: string, person: Person) => {
    const page = await browser.context.newPage();
    page.setDefaultTimeout(UI_TIMEOUT);
    const errors = collectErrors(page);
    pages[who] = { page, errors };
    await page.goto(stack.gatewayUrl);
    await page.getByLabel('User name').fill(person.username);
    await page.getByRole('textbox', { name: 'Password', exact: true }).fill(person.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: `Welcome, ${person.username}` }).waitFor();
    return page;
  };
  const mine = async (): Promise<Array<Record<string, unknown>>> =>
    api.expectStatus(
      await api.call('/api/exports/v1/exports', { token: staffToken }),
      200,
      'my exports',
    ) as unknown as Array<Record<string, unknown>>;
  const exportWithReason = async (reason: string) => {
    const found = (await mine()).find((e) => e.reason === reason);
    if (!found) throw new Error(`no export with the reason "${reason}"`);
    return found;
  };

  beforeAll(async () => {
    stack = await launchStack('e2e-exports-audit', { exports: { rowThreshold: 3 }, audit: true });
    api = wardenApi(stack.gatewayUrl);
    const adminToken = await api.enrolAdmin(stack.admin);
    supervisor = await api.createUser(adminToken, { prefix: 'supervisor', roles: ['supervisor'] });
    const teamId = await api.createTeam(adminToken, `North ${suffix}`, supervisor.id);
    staff = await api.createUser(adminToken, { prefix: 'staff', roles: ['staff'], teamId });
    auditor = await api.createUser(adminToken, { prefix: 'auditor', roles: ['auditor'] });
    staffToken = await api.login(staff);
    // The staff member's book: five customers, over the approval threshold of three.
    const ids: string[] = [];
    for (let i = 1; i <= 5; i++) {
      const created = api.expectStatus(
        await api.call('/api/customer-records/v1/customers', {
          token: staffToken,
          body: {
            name: `Export Person ${i}`,
            company: `Firm ${i}`,
            teamId,
            mobile: `+86 139${suffix}${String(i).padStart(2, '0')}`,
            email: `export.person${i}@example.org`,
          },
        }),
        201,
        'create customer',
      );
      ids.push(created.id as string);
    }
    viewedCustomerId = ids[0];
    api.expectStatus(
      await api.call(`/api/customer-records/v1/customers/${viewedCustomerId}`, { token: staffToken }),
      200,
      'view customer',
    );
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('lets a staff member request an export above the row threshold, with the estimate and why it needs approval', async () => {
    const page = await signIn('staff', staff);
    await nav(page, 'Exports').click();
    const form = page.getByRole('form', { name: 'Request an export' });
    await form.getByRole('checkbox', { name: 'Mobile in clear' }).waitFor();
    // Fields in clear are offered only at the caller's clear level: staff see national IDs masked.
    expect(await form.getByRole('checkbox', { name: 'National ID in clear' }).count()).toBe(0);
    await page.getByText('No exports yet').waitFor();
    await screenshot(page, '13-export-request');

    await form.getByRole('button', { name: 'Request export' }).click();
    await form.getByText(/Say why you need this export/).waitFor();
    await form.getByLabel('Reason').fill(REASON);
    await form.getByRole('button', { name: 'Request export' }).click();
    const answer = page.getByTestId('export-request-answer');
    await answer.waitFor();
    expect(await page.getByTestId('estimated-rows').textContent()).toBe('5');
    expect(await answer.textContent()).toContain('Approval required: yes');
    expect(await answer.textContent()).toContain('more rows than the approval threshold');
    await page.getByRole('table', { name: 'My exports' }).getByText('awaiting approval').waitFor();
    await screenshot(page, '14-export-requested');
    expect(pages.staff.errors).toEqual([]);
  });

  it('shows the supervisor plainly what is approved, and asks for a fresh TOTP code for fields in clear', async () => {
    // A second request, with mobile numbers in clear (always needs approval, with step-up).
    const clear = api.expectStatus(
      await api.call('/api/exports/v1/exports', {
        token: staffToken,
        body: { fields: ['name', 'mobile'], clearFields: ['mobile'], format: 'csv', reason: CLEAR_REASON },
      }),
      201,
      'clear export',
    );
    expect(clear.approvalReasons).toContain('clear_sensitive_fields');
    // The exports service learns teams and supervisors from the authorization events (Kafka).
    const supervisorToken = await api.login(supervisor);
    await expectEventually(async () => {
      const inbox = await api.call('/api/exports/v1/exports?scope=approvals', { token: supervisorToken });
      expect(inbox.status).toBe(200);
      expect((inbox.body as unknown as unknown[]).length).toBe(2);
    }, EVENTUALLY);

    const page = await signIn('supervisor', supervisor);
    await nav(page, 'Approvals').click();
    const inbox = page.getByRole('table', { name: 'Exports awaiting your decision' });
    await inbox
      .getByRole('row', { name: new RegExp(REASON) })
      .getByRole('button', { name: /Review/ })
      .click();
    const review = page.getByRole('form', { name: 'Decide on the export' });
    expect(await review.getByTestId('review-estimated-rows').textContent()).toBe('5');
    const text = await review.textContent();
    expect(text).toContain('Name, Company, Mobile, E-mail');
    expect(text).toContain('none: sensitive fields are masked');
    expect(text).toContain(`“${REASON}”`);
    expect(text).toContain('more rows than the approval threshold');
    // The requester's recent exports: the clear-field request.
    await review
      .getByRole('table', { name: "The requester's recent exports" })
      .getByText(CLEAR_REASON)
      .waitFor();
    await screenshot(page, '15-approval-review');
    await review.getByLabel('Comment').fill('Fine for the quarterly review');
    await review.getByRole('button', { name: 'Approve' }).click();
    await page.getByText(/Export approved; it is now/).waitFor();
    await review.waitFor({ state: 'detached' });

    // Supervisors need no MFA by their role: one sets it up to approve fields in clear.
    await nav(page, 'Sessions').click();
    await page.getByRole('button', { name: 'Set up an authenticator app' }).click();
    const secret = ((await page.getByTestId('mfa-setup-secret').textContent()) ?? '').trim();
    const setup = page.getByRole('form', { name: 'Turn on two-factor authentication' });
    await setup.getByLabel('Code from the app').fill(await generate({ secret }));
    await setup.getByRole('button', { name: 'Turn on' }).click();
    await page.getByRole('list', { name: 'Your recovery codes' }).waitFor();
    await screenshot(page, '16-mfa-setup');

    // The clear-field export: the approval needs the step-up code.
    await nav(page, 'Approvals').click();
    await inbox
      .getByRole('row', { name: new RegExp(CLEAR_REASON) })
      .getByRole('button', { name: /Review/ })
      .click();
    const clearReview = page.getByRole('form', { name: 'Decide on the export' });
    expect(await clearReview.getByTestId('review-clear-fields').textContent()).toBe('Mobile');
    expect(await clearReview.textContent()).toContain('sensitive fields in clear');
    await clearReview.getByRole('button', { name: 'Approve' }).click();
    await clearReview.getByText('Enter the 6-digit code your authenticator app shows').waitFor();
    await clearReview.getByLabel('Code from your authenticator app').fill(await nextStepCode(secret));
    await screenshot(page, '17-approval-step-up');
    const [stepUp] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/api/authorization/v1/auth/step-up')),
      clearReview.getByRole('button', { name: 'Approve' }).click(),
    ]);
    expect(stepUp.status()).toBe(200);
    await page.getByText('Nothing to approve').waitFor();
    expect((await exportWithReason(CLEAR_REASON)).approverId).toBe(supervisor.id);
    expect(pages.supervisor.errors).toEqual([]);
  });

  it('lets the staff member download the export once, and shows a second use of the link refused', async () => {
    const { page, errors } = pages.staff;
    const id = (await exportWithReason(REASON)).id as string;
    const row = page.getByTestId(`export-${id}`);
    // The list polls: the approved export is generated and becomes ready without a reload.
    const button = row.getByRole('button', { name: /^Download/ });
    await button.waitFor({ timeout: EVENTUALLY.timeoutMs });
    const [download] = await Promise.all([page.waitForEvent('download'), button.click()]);
    const content = readFileSync(await download.path(), 'utf8');
    expect(download.suggestedFilename()).toBe(`export-${id}.csv`);
    expect(content.split('\n')[0]).toBe('id,name,company,mobile,email');
    for (let i = 1; i <= 5; i++) expect(content).toContain(`Export Person ${i}`);
    // Mobile numbers were not asked for in clear: they are masked in the file.
    expect(content).not.toContain(`139${suffix}01`);
    const outcome = page.getByTestId('download-outcome');
    await outcome.waitFor();

    const [second] = await Promise.all([
      page.waitForResponse((r) => r.url().includes(`/api/exports/v1/exports/${id}/download?token=`)),
      outcome.getByRole('button', { name: 'Try the used link again' }).click(),
    ]);
    expect(second.status()).toBe(410);
    await expect(page.getByTestId('second-use').textContent()).resolves.toMatch(/^Refused: /);
    await row.getByText('downloaded', { exact: true }).waitFor();
    await screenshot(page, '18-export-downloaded');
    expect(errors).toEqual([]);
  });

  it('shows the supervisor grant requests in plain words in the same inbox: one approved (then active until it ends), one rejected', async () => {
    const expiresAt = new Date(Date.now() + 3 * 86_400_000);
    expiresAt.setSeconds(0, 0);
    const request = async (reason: string, permission: Record<string, unknown>) =>
      api.expectStatus(
        await api.call('/api/authorization/v1/grants', {
          token: staffToken,
          body: { userId: staff.id, permissions: [permission], reason, expiresAt: expiresAt.toISOString() },
        }),
        201,
        `grant request "${reason}"`,
      ).id as string;
    const approvedId = await request(GRANT_REASON, {
      action: 'read',
      subject: 'Customer',
      conditions: { owner: 'me', classification: 'within-clearance' },
      fields: { nationalId: 'clear', address: 'clear' },
    });
    const rejectedId = await request(REJECTED_REASON, {
      action: 'read',
      subject: 'Customer',
      conditions: { team: 'mine', classification: 'within-clearance' },
      fields: { mobile: 'masked', email: 'masked' },
    });

    const { page, errors } = pages.supervisor;
    await nav(page, 'Approvals').click();
    const requests = page.getByRole('region', { name: 'Grant requests' });
    const toApprove = requests.getByRole('region', { name: /^Grant request of/ }).filter({ hasText: GRANT_REASON });
    await toApprove.waitFor();
    const text = (await toApprove.textContent()) ?? '';
    // Who (by name: the grant list names its grantees), what (action, subject, scope, fields), why
    // and until when, in words.
    expect(text).toContain(`staff (${staff.username})`);
    expect(text).toContain('Read customers');
    expect(text).toContain('customers they own, up to their clearance');
    expect(text).toContain('National ID and Address in clear');
    expect(text).toContain(`“${GRANT_REASON}”`);
    expect(text).toContain(`${localDateTime(expiresAt)} (in 3 days)`);
    const toReject = requests.getByRole('region', { name: /^Grant request of/ }).filter({ hasText: REJECTED_REASON });
    expect(await toReject.textContent()).toContain('customers of their team and its sub-teams');
    expect(await toReject.textContent()).toContain('Mobile and E-mail masked');
    await screenshot(page, '18b-grant-requests');

    await toApprove.getByLabel('Comment').fill('For the audit visit only');
    await toApprove.getByRole('button', { name: 'Approve' }).click();
    await page.getByText(`it is active until ${localDateTime(expiresAt)}`).waitFor();
    await toApprove.waitFor({ state: 'detached' });
    await toReject.getByLabel('Comment').fill('Ask your supervisor for a team change instead');
    await toReject.getByRole('button', { name: 'Reject' }).click();
    await page.getByText(`Grant for staff (${staff.username}) rejected.`).waitFor();
    await requests.getByText('No grant request to decide').waitFor();

    const grants = api.expectStatus(
      await api.call('/api/authorization/v1/grants', { token: staffToken }),
      200,
      'the staff member’s grants',
    ) as unknown as Array<Record<string, unknown>>;
    expect(grants.find((g) => g.id === approvedId)).toMatchObject({
      status: 'active',
      decidedBy: supervisor.id,
      comment: 'For the audit visit only',
    });
    expect(grants.find((g) => g.id === rejectedId)).toMatchObject({ status: 'rejected', decidedBy: supervisor.id });

    // The staff member sees the grant active, with when it ends.
    const staffPage = pages.staff.page;
    await nav(staffPage, 'Grants').click();
    const table = staffPage.getByRole('table', { name: 'Grants' });
    const active = table.getByRole('row').filter({ hasText: GRANT_REASON });
    await active.getByText('active', { exact: true }).waitFor();
    expect(await active.textContent()).toContain('in 3 days');
    expect(await active.getByTitle(localDateTime(expiresAt)).count()).toBe(1);
    await table.getByRole('row').filter({ hasText: REJECTED_REASON }).getByText('rejected', { exact: true }).waitFor();
    await screenshot(staffPage, '18c-grants-of-staff');
    expect(errors).toEqual([]);
    expect(pages.staff.errors).toEqual([]);
  });

  it('lets an auditor find the export events in the trail, export the search and open the customer history', async () => {
    const page = await signIn('auditor', auditor);
    await nav(page, 'Audit search').click();
    await page.getByText('Search the audit trail', { exact: true }).waitFor();
    await page.getByLabel('Event types').fill('ExportRequested, ExportApproved, ExportDownloaded');
    // The audit service indexes from Kafka: search until every export event has arrived.
    await expectEventually(async () => {
      const [res] = await Promise.all([
        page.waitForResponse((r) => r.url().includes('/api/audit/v1/audit/events?')),
        page.getByRole('button', { name: 'Search', exact: true }).click(),
      ]);
      const body = (await res.json()) as { items: Array<{ event: { type: string } }> };
      expect({ status: res.status(), body }).toEqual({
        status: 200,
        body: expect.objectContaining({ items: expect.any(Array) }),
      });
      expect(body.items.map((i) => i.event.type).sort()).toEqual([
        'ExportApproved',
        'ExportApproved',
        'ExportDownloaded',
        'ExportRequested',
        'ExportRequested',
      ]);
    }, EVENTUALLY);
    const events = page.getByRole('table', { name: 'Audit events' });
    await events.getByRole('button', { name: 'ExportDownloaded' }).waitFor();
    expect(await events.locator('tbody tr').count()).toBe(5);
    await screenshot(page, '19-audit-search');

    const [file] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export CSV' }).click(),
    ]);
    const csv = readFileSync(await file.path(), 'utf8');
    expect(csv.split('\n')[0]).toMatch(/^position,occurredAt,topic,type,eventId/);
    expect(csv).toContain('ExportDownloaded');

    await events.getByRole('button', { name: 'ExportDownloaded' }).click();
    await page
      .getByRole('dialog')
      .getByText(/"type": "ExportDownloaded"/)
      .waitFor();
    await page.keyboard.press('Escape');

    await nav(page, 'Customer access history').click();
    // The audit search has a "Customer id" field too, and stays on screen while the next screen loads.
    await page.getByRole('heading', { name: 'Customer access history' }).waitFor();
    await page.getByLabel('Customer id').fill(viewedCustomerId);
    const readers = page.getByRole('table', { name: 'Who accessed the customer' });
    // The view is a read event on its own topic: ask again until the audit service has indexed it.
    await expectEventually(async () => {
      await page.getByRole('button', { name: 'Show history' }).click();
      await readers.getByText(staff.id).waitFor({ timeout: 5000 });
    }, EVENTUALLY).catch(async (error: Error) => {
      // Say what the screen and the audit service show, so that a failure here tells where the view was lost.
      await screenshot(page, 'failed-customer-access');
      const shown = (await page.locator('main').innerText().catch(() => '')).slice(0, 2000);
      const token = await api.login(auditor);
      const access = await api.call(`/api/audit/v1/audit/customers/${viewedCustomerId}/access`, { token });
      const views = await api.call('/api/audit/v1/audit/events?type=CustomerViewed&limit=5', { token });
      const latest = await api.call('/api/audit/v1/audit/events?limit=5', { token });
      throw new Error(
        `${error.message}\nthe screen (${page.url()}): ${shown}\nthe audit service's access history: ${JSON.stringify(access)}\nits CustomerViewed events: ${JSON.stringify(views)}\nits latest events: ${JSON.stringify(latest).slice(0, 3000)}`,
      );
    });
    await screenshot(page, '20-customer-access');
    expect(pages.auditor.errors).toEqual([]);
  });

  it('shows the auditor the monthly report (summary and HTML), a quarterly summary and the verification of the trail', async () => {
    const { page, errors } = pages.auditor;
    await nav(page, 'Audit reports').click();
    await page.getByRole('button', { name: 'Show summary' }).click();
    const exportsFigure = page.getByTestId('figure-Exports');
    await exportsFigure.waitFor();
    expect(Number(await exportsFigure.textContent())).toBeGreaterThanOrEqual(1);
    await page.getByText('The JSON summary').click();
    expect(await page.getByTestId('report-json').textContent()).toContain('"period"');
    await page.getByRole('button', { name: 'Open the HTML report' }).click();
    const frame = page.frameLocator('iframe[title^="Audit report"]');
    await frame.getByRole('heading', { name: /Warden audit report/ }).waitFor();
    await screenshot(page, '21-audit-report');

    // A quarter: the current one, with this suite's exports in its summary.
    const now = new Date();
    const quarter = `${now.getUTCFullYear()}-Q${Math.floor(now.getUTCMonth() / 3) + 1}`;
    await page.getByRole('combobox', { name: 'Period' }).click();
    await page.getByRole('option', { name: quarter.replace('-', ' '), exact: true }).click();
    await page.getByRole('button', { name: 'Show summary' }).click();
    await page.getByText(new RegExp(`^${quarter}: `)).waitFor();
    expect(Number(await page.getByTestId('figure-Exports').textContent())).toBeGreaterThanOrEqual(1);
    expect(await page.getByTestId('report-json').textContent()).toContain(`"period": "${quarter}"`);
    await screenshot(page, '21b-audit-report-quarter');

    await nav(page, 'Trail verification').click();
    const checkpoints = page.getByRole('table', { name: 'Signed checkpoints' });
    await expectEventually(async () => {
      await page.reload();
      await checkpoints.locator('tbody tr').first().waitFor({ timeout: 5000 });
    }, EVENTUALLY);
    await page.getByRole('button', { name: 'Verify the trail now' }).click();
    const verdict = page.getByTestId('verification-verdict');
    await verdict.waitFor();
    expect(await verdict.textContent()).toContain('The trail is intact');
    await screenshot(page, '22-audit-verification');
    expect(errors).toEqual([]);
  });
});
