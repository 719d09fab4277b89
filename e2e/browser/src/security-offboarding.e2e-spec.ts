import { readFileSync } from 'node:fs';
import { expectEventually } from '@warden/testing';
import type { Page } from 'playwright-core';
import { collectErrors, launchChromium, screenshot, type Browser } from './test/browser';
import { launchStack, type Stack } from './test/stack';
import { wardenApi, type Person, type WardenApi } from './test/warden-api';

const UI_TIMEOUT = 30_000;
/** Waits on Kafka consumers (detection, the saga's answers, the audit indexer): generous, for a loaded machine. */
const EVENTUALLY = { timeoutMs: 120_000, intervalMs: 1000 };
const EXPORT_REASON = 'Bulk export for the alert test';

const nav = (page: Page, name: string) =>
  page.getByRole('navigation', { name: 'Main navigation' }).getByRole('link', { name, exact: true });

/** `YYYY-MM-DDTHH:mm` in local time, as a `datetime-local` input takes it. */
const localInput = (date: Date) => {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
};

/**
 * Security operations and HR in headless chromium against the running stack (authorization,
 * customer-records, exports, audit, anomaly-alerting, offboarding and the gateway serving a fresh
 * console build; real Postgres, Redis and Kafka): a security officer lowers the bulk-export
 * threshold on the rules screen and watches the alert of a scripted export arrive live over SSE
 * (through the gateway, with the bearer token), reads its evidence and the person's timeline,
 * acknowledges and resolves it; HR offboards a user, watches the steps complete and opens the
 * leaver report, schedules another offboarding (the officer sees the person on the departing
 * watch list) and cancels it before it takes effect. Every screen is saved under
 * e2e/browser/artifacts/ and must log no console error.
 */
describe('security operations and offboarding in the browser (running stack)', () => {
  let stack: Stack;
  let api: WardenApi;
  let browser: Browser;
  let officer: Person & { recoveryCodes: string[]; token: string };
  let hr: Person;
  let exporter: Person;
  let leaver: Person;
  let successor: Person;
  let departing: Person;
  let hrToken: string;
  let alertId = '';
  let scheduledCaseId = '';
  const pages: Record<string, { page: Page; errors: string[] }> = {};
  const streamRequests: Array<{ url: string; authorization: string | undefined }> = [];
  const suffix = String(Date.now()).slice(-6);

  /** A page of its own (its own session) signed in as `person`, with a recovery code when MFA is on. */
  const signIn = async (who: string, person: Person, recoveryCode?: string) => {
    const page = await browser.context.newPage();
    page.setDefaultTimeout(UI_TIMEOUT);
    pages[who] = { page, errors: collectErrors(page) };
    await page.goto(stack.gatewayUrl);
    await page.getByLabel('User name').fill(person.username);
    await page.getByRole('textbox', { name: 'Password', exact: true }).fill(person.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    if (recoveryCode) {
      await page.getByLabel('Authentication code or recovery code').fill(recoveryCode);
      await page.getByRole('button', { name: 'Sign in' }).click();
    }
    await page.getByRole('heading', { name: `Welcome, ${person.username}` }).waitFor();
    return page;
  };
  const createCustomers = async (token: string, teamId: string, prefix: string, count: number) => {
    for (let i = 1; i <= count; i++) {
      api.expectStatus(
        await api.call('/api/customer-records/v1/customers', {
          token,
          body: {
            name: `${prefix} ${i}`,
            teamId,
            mobile: `+86 138${suffix}${prefix.length}${i}`,
            email: `${prefix.toLowerCase().replace(/\W/g, '')}${i}.${suffix}@example.org`,
          },
        }),
        201,
        'create customer',
      );
    }
  };

  beforeAll(async () => {
    stack = await launchStack('e2e-security-offboarding', {
      exports: { rowThreshold: 100 },
      audit: true,
      alerting: true,
      offboarding: true,
    });
    api = wardenApi(stack.gatewayUrl);
    const adminToken = await api.enrolAdmin(stack.admin);
    const supervisor = await api.createUser(adminToken, { prefix: 'supervisor', roles: ['supervisor'] });
    const teamId = await api.createTeam(adminToken, `South ${suffix}`, supervisor.id);
    exporter = await api.createUser(adminToken, { prefix: 'exporter', roles: ['staff'], teamId });
    leaver = await api.createUser(adminToken, { prefix: 'leaver', roles: ['staff'], teamId });
    successor = await api.createUser(adminToken, { prefix: 'successor', roles: ['staff'], teamId });
    departing = await api.createUser(adminToken, { prefix: 'departing', roles: ['staff'], teamId });
    hr = await api.createUser(adminToken, { prefix: 'hr', roles: ['hr'] });
    const so = await api.createUser(adminToken, { prefix: 'officer', roles: ['security_officer'] });
    const enrolled = await api.enrol(so);
    officer = { ...so, recoveryCodes: enrolled.recoveryCodes, token: enrolled.token };
    await createCustomers(await api.login(exporter), teamId, 'Exported Person', 5);
    await createCustomers(await api.login(leaver), teamId, 'Handed Over', 3);
    hrToken = await api.login(hr);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('shows a security officer the alert of a bulk export live, after lowering the threshold on the rules screen', async () => {
    // The feed opens its stream as soon as the officer is signed in: watch every page of the browser.
    browser.context.on('request', (request) => {
      if (request.url().includes('/alerts/stream'))
        streamRequests.push({ url: request.url(), authorization: request.headers().authorization });
    });
    const page = await signIn('officer', officer, officer.recoveryCodes[0]);
    await nav(page, 'Alerts').click();
    await page.getByText('Nothing needs your attention').waitFor();
    await page.getByTestId('stream-status').getByText('Live').waitFor();
    await screenshot(page, '23-alerts-empty');

    // Lower the bulk-export floor to 3 rows (PUT /v1/rules/bulk-export through the rules screen).
    await nav(page, 'Detection rules').click();
    const rule = page.getByTestId('rule-bulk-export');
    await rule.getByLabel('min rows').fill('3');
    const [saved] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/api/anomaly-alerting/v1/rules/bulk-export')),
      rule.getByRole('button', { name: 'Save bulk export' }).click(),
    ]);
    expect(saved.status()).toBe(200);
    expect(saved.request().method()).toBe('PUT');
    expect(saved.request().postDataJSON()).toEqual({ thresholds: { minRows: 3 } });
    await page.getByText('Bulk export: saved.').waitFor();
    await screenshot(page, '24-detection-rules');
    const rules = api.expectStatus(
      await api.call('/api/anomaly-alerting/v1/rules', { token: officer.token }),
      200,
      'rules',
    ) as unknown as Array<{ id: string; thresholds: Record<string, number> }>;
    expect(rules.find((r) => r.id === 'bulk-export')?.thresholds.minRows).toBe(3);

    // Back on the feed (no reload: the marker survives), a scripted 5-row export raises the alert.
    await nav(page, 'Alerts').click();
    await page.evaluate(() => {
      (window as unknown as { stillTheSamePage: boolean }).stillTheSamePage = true;
    });
    api.expectStatus(
      await api.call('/api/exports/v1/exports', {
        token: await api.login(exporter),
        body: { fields: ['name', 'company'], clearFields: [], format: 'csv', reason: EXPORT_REASON },
      }),
      201,
      'export request',
    );
    const row = page.getByRole('table', { name: 'Alerts' }).getByRole('row', { name: /Bulk export/ });
    try {
      await row.waitFor({ timeout: EVENTUALLY.timeoutMs });
    } catch (error) {
      // Say which side failed: detection (no alert at all) or the console's live feed.
      const stored = await api.call('/api/anomaly-alerting/v1/alerts', { token: officer.token });
      throw new Error(
        `the bulk-export alert did not appear on the open feed; GET /v1/alerts answered ${stored.status} ` +
          `${JSON.stringify(stored.body)}. No alert at all means detection did not run: the ` +
          "anomaly-alerting consumer group ('anomaly-alerting.detection') is not prefixed with KAFKA_TOPIC_PREFIX, " +
          `so another suite's instance on the same broker can hold its partitions. (${(error as Error).message})`,
      );
    }
    // The notification (visual only) and the polite live region for screen readers.
    await page.getByText('New high alert: Bulk export', { exact: true }).waitFor();
    expect(await page.getByTestId('alert-announcement').textContent()).toContain(
      'New high alert: Bulk export',
    );
    expect(await row.textContent()).toContain('5 rows exported within 60 min');
    expect(await row.textContent()).toContain(exporter.id);
    expect(
      await page.evaluate(() => (window as unknown as { stillTheSamePage?: boolean }).stillTheSamePage),
    ).toBe(true);
    // The feed is fetch-based SSE through the gateway: the token in a header, never in the URL.
    expect(streamRequests.length).toBeGreaterThanOrEqual(1);
    expect(streamRequests[0].authorization).toMatch(/^Bearer /);
    expect(streamRequests.every((r) => !/token|access/i.test(new URL(r.url).search))).toBe(true);
    await screenshot(page, '25-alert-live');
    alertId = ((await row.getAttribute('data-testid')) ?? '').replace('alert-row-', '');
    expect(alertId).toMatch(/^[0-9a-f-]{36}$/);
    expect(pages.officer.errors).toEqual([]);
  });

  it("lets the officer read the evidence and the person's timeline, acknowledge and resolve the alert", async () => {
    const { page, errors } = pages.officer;
    await page.getByRole('link', { name: 'Bulk export' }).first().click();
    await page
      .getByTestId('alert-summary')
      .getByText(/5 rows exported/)
      .waitFor();
    await page.getByRole('table', { name: 'Evidence events' }).getByText('ExportCompleted').waitFor();
    // The timeline comes from the audit trail, which indexes from Kafka: look again until it has the export.
    await expectEventually(async () => {
      await page.reload();
      await page
        .getByRole('table', { name: "The user's recent activity" })
        .getByText('ExportCompleted')
        .first()
        .waitFor({ timeout: 5000 });
    }, EVENTUALLY);
    await screenshot(page, '26-alert-detail');

    await page.getByRole('button', { name: 'Acknowledge' }).click();
    await page.getByTestId('alert-status').getByText('acknowledged').waitFor();
    const form = page.getByRole('form', { name: 'Resolve the alert' });
    await form.getByLabel('Resolved (a real finding, dealt with)').check();
    await form.getByLabel('Comment').fill('Test export agreed with the team lead');
    await form.getByRole('button', { name: 'Resolve' }).click();
    await page.getByTestId('alert-status').getByText('resolved').waitFor();
    await screenshot(page, '27-alert-resolved');
    const stored = api.expectStatus(
      await api.call(`/api/anomaly-alerting/v1/alerts/${alertId}`, { token: officer.token }),
      200,
      'alert',
    );
    expect(stored).toMatchObject({
      status: 'resolved',
      resolution: 'resolved',
      comment: 'Test export agreed with the team lead',
      acknowledgedBy: officer.id,
      resolvedBy: officer.id,
    });
    // The feed heard the changes over the stream too: the alert left "Needs action".
    await nav(page, 'Alerts').click();
    await page.getByText('Nothing needs your attention').waitFor();
    expect(errors).toEqual([]);
  });

  it('lets HR offboard a user, watch the steps complete, and open the leaver report', async () => {
    const page = await signIn('hr', hr);
    await nav(page, 'Offboarding').click();
    await page.getByText('No offboarding cases').waitFor();
    const form = page.getByRole('form', { name: 'Start an offboarding' });
    // HR finds the leaver by user name in the directory; a successor may also be given by user id.
    await form.getByRole('textbox', { name: 'Person leaving' }).fill(leaver.username);
    await form.getByRole('button', { name: 'Find Person leaving' }).click();
    await form.getByText(`(${leaver.username}, active)`).waitFor();
    await form.getByRole('textbox', { name: 'Successor', exact: true }).fill(successor.id);
    await form.getByRole('button', { name: 'Find Successor', exact: true }).click();
    await form.getByLabel('Reason').fill('Resigned');
    await screenshot(page, '28-offboarding-start');
    await form.getByRole('button', { name: 'Start offboarding' }).click();
    await page.waitForURL(/\/offboarding\/[0-9a-f-]{36}$/);
    const caseId = page.url().split('/').pop() ?? '';

    // The page polls: the saga freezes access, hands the customers over, writes the report.
    await page.getByTestId('case-status').getByText('completed').waitFor({ timeout: EVENTUALLY.timeoutMs });
    expect(await page.getByTestId('case-progress').textContent()).toContain('100%');
    await page.getByTestId('step-freeze').getByText('done').waitFor();
    await page.getByTestId('step-handover').getByText('3 customers transferred').waitFor();
    await page.getByTestId('step-report').getByText('done').waitFor();
    await screenshot(page, '29-offboarding-completed');

    await page.getByRole('button', { name: 'Open the report' }).click();
    const report = page.frameLocator('iframe[title="Leaver report"]');
    await report.getByRole('heading', { name: 'Leaver report' }).waitFor();
    expect(await report.locator('body').textContent()).toContain(leaver.id);
    await screenshot(page, '30-leaver-report');
    const [file] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download CSV' }).click(),
    ]);
    expect(file.suggestedFilename()).toBe(`leaver-report-${caseId}.csv`);
    expect(readFileSync(await file.path(), 'utf8').split('\n')[0]).toMatch(/^section,at,ip,device,location/);
    const stored = api.expectStatus(
      await api.call(`/api/offboarding/v1/offboardings/${caseId}`, { token: hrToken }),
      200,
      'case',
    );
    expect(stored).toMatchObject({ status: 'completed', userId: leaver.id, successorId: successor.id });
    expect(pages.hr.errors).toEqual([]);
  });

  it("puts a person HR schedules to leave on the officer's departing watch list, and lets HR cancel before the date", async () => {
    const { page, errors } = pages.hr;
    await nav(page, 'Offboarding').click();
    const form = page.getByRole('form', { name: 'Start an offboarding' });
    await form.getByRole('textbox', { name: 'Person leaving' }).fill(departing.id);
    await form.getByRole('button', { name: 'Find Person leaving' }).click();
    await form.getByRole('textbox', { name: 'Successor', exact: true }).fill(successor.id);
    await form.getByRole('button', { name: 'Find Successor', exact: true }).click();
    await form.getByLabel('Takes effect').fill(localInput(new Date(Date.now() + 7 * 86_400_000)));
    await form.getByLabel('Reason').fill('Contract ends');
    await form.getByRole('button', { name: 'Start offboarding' }).click();
    await page.waitForURL(/\/offboarding\/[0-9a-f-]{36}$/);
    scheduledCaseId = page.url().split('/').pop() ?? '';
    await page.getByTestId('case-status').getByText('scheduled').waitFor();
    await page.getByTestId('step-markDeparting').getByText('done').waitFor({ timeout: EVENTUALLY.timeoutMs });

    // The officer's watch list is derived from the audit trail (the console asks the directory for admins only).
    const officerPage = pages.officer.page;
    await nav(officerPage, 'Security insights').click();
    const watch = officerPage.getByRole('table', { name: 'Departing users' });
    await expectEventually(async () => {
      await officerPage.reload();
      await watch.getByText(departing.id).waitFor({ timeout: 5000 });
    }, EVENTUALLY);
    await officerPage.getByRole('img', { name: /Rows exported per day/ }).waitFor();
    await officerPage.getByRole('img', { name: /Sign-in failures per hour/ }).waitFor();
    await officerPage
      .getByRole('table', { name: 'Sign-in locations' })
      .getByText(exporter.id)
      .first()
      .waitFor();
    await screenshot(officerPage, '31-security-insights');
    expect(pages.officer.errors).toEqual([]);

    await page.getByLabel('Why cancel (optional)').fill('Contract extended');
    await page.getByRole('button', { name: 'Cancel the offboarding' }).click();
    await page.getByTestId('case-status').getByText('cancelled').waitFor();
    await screenshot(page, '32-offboarding-cancelled');
    const stored = api.expectStatus(
      await api.call(`/api/offboarding/v1/offboardings/${scheduledCaseId}`, { token: hrToken }),
      200,
      'scheduled case',
    );
    expect(stored).toMatchObject({ status: 'cancelled', tookEffectAt: null });
    expect(errors).toEqual([]);
  });
});
