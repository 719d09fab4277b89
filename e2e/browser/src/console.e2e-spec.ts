import { randomBytes } from 'node:crypto';
import { uniqueName } from '@warden/testing';
import { generate } from 'otplib';
import type { Page } from 'playwright-core';
import { collectErrors, launchChromium, screenshot, type Browser } from './test/browser';
import { launchStack, type Stack } from './test/stack';
import { wardenApi } from './test/warden-api';

const UI_TIMEOUT = 30_000;

/** A link of the main navigation (the overview repeats some as cards). */
const nav = (page: Page, name: string) =>
  page.getByRole('navigation', { name: 'Main navigation' }).getByRole('link', { name, exact: true });

/**
 * The console in headless chromium against the running stack (authorization, customer-records and
 * the gateway serving a fresh console build; real Postgres, Redis and Kafka): an admin signs in
 * with MFA enrolment and creates a staff user, the staff user finds customers and is refused the
 * reveal of a field masked by role, then, with an approved grant, reveals it with a reason and sees
 * it in clear; the admin signs out everywhere. Every screen is saved as a screenshot under
 * e2e/browser/artifacts/ and must log no console error.
 */
describe('console in the browser (running stack)', () => {
  let stack: Stack;
  let browser: Browser;
  let adminPage: Page;
  let adminErrors: string[];
  let adminBearer = '';
  const staff = { username: uniqueName('staff'), password: `staff-${randomBytes(12).toString('base64url')}` };
  const mobile = `+86 139 ${String(Date.now()).slice(-8)}`;

  const api = async (path: string, init: { token?: string; body?: unknown } = {}) => {
    const res = await fetch(`${stack.gatewayUrl}${path}`, {
      method: init.body === undefined ? 'GET' : 'POST',
      headers: {
        ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
      },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
    return { status: res.status, body: (await res.json().catch(() => null)) as Record<string, unknown> };
  };

  beforeAll(async () => {
    stack = await launchStack('e2e-console');
    browser = await launchChromium();
    adminPage = await browser.context.newPage();
    adminPage.setDefaultTimeout(UI_TIMEOUT);
    adminErrors = collectErrors(adminPage);
    adminPage.on('request', (request) => {
      const header = request.headers().authorization;
      if (header?.startsWith('Bearer ')) adminBearer = header.slice(7);
    });
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('signs the admin in by keyboard, with the MFA enrolment its role requires and the recovery codes', async () => {
    await adminPage.goto(stack.gatewayUrl);
    await adminPage.getByRole('form', { name: 'Sign in' }).waitFor();
    await screenshot(adminPage, '01-sign-in');
    // The user name field has the focus; Tab leads to the password, Enter submits.
    await adminPage.keyboard.type(stack.admin.username);
    await adminPage.keyboard.press('Tab');
    await adminPage.keyboard.type(stack.admin.password);
    await adminPage.keyboard.press('Enter');

    const secret = (await adminPage.getByTestId('mfa-secret').textContent())?.trim() ?? '';
    expect(secret).toMatch(/^[A-Z2-7]+=*$/);
    await screenshot(adminPage, '02-mfa-enrolment');
    await adminPage.getByLabel('Code from the app').fill('12345');
    await adminPage.getByRole('button', { name: 'Turn on two-factor authentication' }).click();
    await adminPage.getByText('Enter the 6-digit code your authenticator app shows').waitFor();
    await adminPage.getByLabel('Code from the app').fill(await generate({ secret }));
    await adminPage.keyboard.press('Enter');

    const codes = adminPage.getByTestId('recovery-codes').locator('li');
    await codes.first().waitFor();
    expect(await codes.count()).toBe(10);
    expect(await codes.first().textContent()).toMatch(/^[a-z2-7]{4}(-[a-z2-7]{4}){3}$/i);
    await screenshot(adminPage, '03-recovery-codes');
    await adminPage.getByRole('button', { name: 'I have saved them — continue' }).click();
    await adminPage.getByRole('heading', { name: `Welcome, ${stack.admin.username}` }).waitFor();
    await screenshot(adminPage, '04-overview-admin');
    expect(adminErrors).toEqual([]);
  });

  it('lets the admin create a staff user and shows the field permission matrix', async () => {
    await nav(adminPage, 'Users').click();
    await adminPage.getByRole('heading', { name: 'Users' }).waitFor();
    await adminPage.getByRole('button', { name: 'New user' }).click();
    const form = adminPage.getByRole('form', { name: 'New user' });
    await form.getByRole('button', { name: 'Create user' }).click();
    await form.getByText('At least 3 characters').waitFor();
    await form.getByLabel('User name').fill(staff.username);
    await form.getByLabel('Display name').fill('Sam Staff');
    await form.getByLabel('E-mail').fill(`${staff.username}@example.com`);
    await form.getByLabel('Initial password').fill(staff.password);
    await form.getByRole('button', { name: 'Create user' }).click();
    await adminPage.getByText(`User ${staff.username} created.`).waitFor();
    await adminPage.getByRole('cell', { name: staff.username, exact: true }).waitFor();
    await screenshot(adminPage, '05-users');

    await nav(adminPage, 'Roles and field permissions').click();
    const cell = adminPage.getByLabel('staff: National ID');
    await cell.waitFor();
    expect(await cell.inputValue()).toBe('masked');
    expect(await adminPage.getByLabel('staff: Mobile').inputValue()).toBe('clear');
    await screenshot(adminPage, '06-roles-matrix');
    expect(adminErrors).toEqual([]);
  });

  /** A new page with the staff member signed in, on the customer list. */
  const staffOnCustomers = async () => {
    const page = await browser.context.newPage();
    page.setDefaultTimeout(UI_TIMEOUT);
    const errors = collectErrors(page);
    await page.goto(stack.gatewayUrl);
    await page.getByLabel('User name').fill(staff.username);
    await page.getByRole('textbox', { name: 'Password', exact: true }).fill(staff.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await nav(page, 'Customers').click();
    return { page, errors };
  };

  it('shows the staff user their customers with masked fields, and reveals a field only with a reason', async () => {
    const login = await api('/api/authorization/v1/auth/login', { body: staff });
    expect(login.status).toBe(200);
    const token = login.body.accessToken as string;
    for (const name of ['Li Wei', 'Maria Rossi', 'John Smith']) {
      const created = await api('/api/customer-records/v1/customers', {
        token,
        body: {
          name,
          mobile,
          email: `${name.split(' ')[0].toLowerCase()}@example.org`,
          nationalId: '110101199003071234',
          address: '1 Main St, Springfield, IL 62701',
        },
      });
      expect(created.status).toBe(201);
    }

    const { page, errors } = await staffOnCustomers();
    try {
      await page.getByText('Search for a customer').waitFor();
      await screenshot(page, '07-customers-empty');
      await page.getByLabel('Exact mobile').fill(mobile);
      await page.getByRole('button', { name: 'Search' }).click();
      const rows = page.getByRole('table', { name: 'Customers found' }).locator('tbody tr');
      await rows.first().waitFor();
      expect(await rows.count()).toBe(3);
      // Staff see their own customers' national ID masked.
      expect(await rows.first().textContent()).toContain('110101********1234');
      await screenshot(page, '08-customers-list');

      await page.getByRole('link', { name: 'Maria Rossi' }).click();
      await page.getByRole('heading', { name: 'Maria Rossi' }).waitFor();
      expect(await page.getByTestId('field-nationalId').textContent()).toContain('110101********1234');
      await screenshot(page, '09-customer-detail');

      await page.getByRole('button', { name: 'Reveal National ID' }).click();
      const dialog = page.getByRole('dialog');
      await dialog.getByRole('button', { name: 'Reveal' }).click();
      await dialog.getByText(/Say why you need the value in clear/).waitFor();
      await dialog.getByLabel('Reason').fill('Customer asked to verify identity, ticket 4711');
      const [response] = await Promise.all([
        page.waitForResponse((r) => r.url().includes('reveal=nationalId')),
        dialog.getByRole('button', { name: 'Reveal' }).click(),
      ]);
      // customer-records reveals only a field its policy gives the caller at the clear level (a grant);
      // a staff owner's national ID is masked by role, so the reveal is refused with the reason.
      expect(response.status()).toBe(403);
      const url = new URL(response.url());
      expect(url.pathname).toMatch(/^\/api\/customer-records\/v1\/customers\/[0-9a-f-]{36}$/);
      expect(url.searchParams.get('reason')).toBe('Customer asked to verify identity, ticket 4711');
      await page.getByText(/National ID was not revealed: you may not reveal nationalId/).waitFor();
      await dialog.waitFor({ state: 'hidden' });
      expect(await page.getByTestId('field-nationalId').textContent()).toContain('110101********1234');
      await screenshot(page, '10-reveal-outcome');
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it('reveals a national ID in clear, with a reason, to a staff member whose approved grant gives the clear level', async () => {
    // The staff member asks for the console's "reveal-own" grant; a security officer approves it (API).
    const people = wardenApi(stack.gatewayUrl);
    const officer = await people.createUser(adminBearer, { prefix: 'officer', roles: ['security_officer'] });
    const officerToken = (await people.enrol(officer)).token;
    const staffToken = await people.login(staff);
    const found = people.expectStatus(
      await people.call(`/api/authorization/v1/users?username=${encodeURIComponent(staff.username)}`, {
        token: adminBearer,
      }),
      200,
      'find the staff member',
    );
    const staffId = (found.items as Array<{ id: string }>)[0].id;
    const grant = people.expectStatus(
      await people.call('/api/authorization/v1/grants', {
        token: staffToken,
        body: {
          userId: staffId,
          permissions: [
            {
              action: 'read',
              subject: 'Customer',
              conditions: { owner: 'me', classification: 'within-clearance' },
              fields: { nationalId: 'clear', address: 'clear' },
            },
          ],
          reason: 'Identity checks this week',
          expiresAt: new Date(Date.now() + 86_400_000).toISOString(),
        },
      }),
      201,
      'request the grant',
    );
    const approved = people.expectStatus(
      await people.call(`/api/authorization/v1/grants/${grant.id as string}/approve`, {
        token: officerToken,
        body: { comment: 'For the identity checks' },
      }),
      200,
      'approve the grant',
    );
    expect(approved.status).toBe('active');

    const { page, errors } = await staffOnCustomers();
    try {
      await page.getByLabel('Exact mobile').fill(mobile);
      await page.getByRole('button', { name: 'Search' }).click();
      await page.getByRole('link', { name: 'John Smith' }).click();
      await page.getByRole('heading', { name: 'John Smith' }).waitFor();
      // A field in clear only thanks to a grant stays masked until it is revealed with a reason.
      const nationalId = page.getByTestId('field-nationalId');
      expect(await nationalId.textContent()).toContain('110101********1234');

      await page.getByRole('button', { name: 'Reveal National ID' }).click();
      const dialog = page.getByRole('dialog');
      await dialog.getByLabel('Reason').fill('Customer asked to verify identity, ticket 4712');
      const [response] = await Promise.all([
        page.waitForResponse((r) => r.url().includes('reveal=nationalId')),
        dialog.getByRole('button', { name: 'Reveal' }).click(),
      ]);
      expect(response.status()).toBe(200);
      await page.getByText(/National ID shown in clear/).waitFor();
      await dialog.waitFor({ state: 'hidden' });
      await nationalId.getByText('110101199003071234').waitFor();
      // Only the revealed field: the address stays masked.
      expect(await page.getByTestId('field-address').textContent()).not.toContain('1 Main St');
      await screenshot(page, '10b-revealed-in-clear');
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it('lets a staff member (not an admin) list their own sessions and sign out everywhere', async () => {
    const elsewhere = await api('/api/authorization/v1/auth/login', { body: staff });
    expect(elsewhere.status).toBe(200);
    const otherDevice = elsewhere.body.accessToken as string;
    const { page, errors } = await staffOnCustomers();
    try {
      await nav(page, 'Sessions').click();
      const table = page.getByRole('table', { name: 'Your sessions' });
      await table.locator('tbody tr').nth(1).waitFor();
      await page.getByText('this one').waitFor();
      await page.getByRole('button', { name: 'Sign out everywhere' }).click();
      await page.getByRole('dialog').getByRole('button', { name: 'End every session' }).click();
      await page.getByRole('form', { name: 'Sign in' }).waitFor();
      const after = await api('/api/customer-records/v1/customers', { token: otherDevice });
      expect(after.status).toBe(401);
      expect(after.body).toMatchObject({ code: 'TOKEN_REVOKED' });
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it('lists the admin sessions and signs out everywhere: the old token is refused at once', async () => {
    await nav(adminPage, 'Sessions').click();
    const table = adminPage.getByRole('table', { name: 'Your sessions' });
    await table.locator('tbody tr').first().waitFor();
    await adminPage.getByText('this one').waitFor();
    await screenshot(adminPage, '11-sessions');
    const before = adminBearer;
    expect((await api('/api/authorization/v1/roles', { token: before })).status).toBe(200);

    await adminPage.getByRole('button', { name: 'Sign out everywhere' }).click();
    await adminPage.getByRole('dialog').getByRole('button', { name: 'End every session' }).click();
    await adminPage.getByRole('form', { name: 'Sign in' }).waitFor();
    await screenshot(adminPage, '12-signed-out');
    expect(await adminPage.evaluate(() => window.sessionStorage.getItem('warden.refreshToken'))).toBeNull();
    const after = await api('/api/authorization/v1/roles', { token: before });
    expect(after.status).toBe(401);
    expect(after.body).toMatchObject({ code: 'TOKEN_REVOKED' });
    expect(adminErrors).toEqual([]);
  });
});
