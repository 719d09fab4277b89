import { randomBytes, randomUUID } from 'node:crypto';
import {
  launchApp,
  testEnv,
  TestTokenIssuer,
  uniqueName,
  uniqueTopicPrefix,
  type LaunchedApp,
  freePort,
} from '@warden/testing';
import { AbilityStub } from './test/ability-stub';

type View = Record<string, unknown> & { id: string };
type Page = { items: View[]; nextCursor: string | null };

const SENSITIVE = {
  mobile: '+86 139-5555-0101',
  email: 'owner.a@example.org',
  nationalId: '110101199003071234',
  address: '1 Main St, Springfield, IL 62701',
};
const MASKED = {
  mobile: '139****0101',
  email: 'o***@example.org',
  nationalId: '110101********1234',
  address: 'Springfield',
};

/**
 * Data-view isolation and field levels over HTTP: the running app asks a real (stub) policy
 * endpoint for each caller's ability, filters every read and search in SQL, and shapes each field.
 */
describe("customer-records: the caller's view (running app)", () => {
  const schema = uniqueName('e2e_access');
  let port = 0;
  // Fresh users per run: nothing cached in Redis by an earlier run applies to them.
  const staffA = randomUUID();
  const staffB = randomUUID();
  const supervisor = randomUUID();
  const auditor = randomUUID();
  const lowClearance = randomUUID();
  const partner = randomUUID();
  const north = `team-north-${randomUUID()}`;
  const south = `team-south-${randomUUID()}`;
  let app: LaunchedApp;
  let issuer: TestTokenIssuer;
  let stub: AbilityStub;
  const tokens: Record<string, string> = {};
  let ofA: View;
  let ofB: View;
  let ofBInNorth: View;

  const get = (as: string, path: string) =>
    fetch(`${app.url}${path}`, { headers: { authorization: `Bearer ${tokens[as]}` } });
  const register = (as: string, body: Record<string, unknown>) =>
    fetch(`${app.url}/v1/customers`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens[as]}` },
      body: JSON.stringify(body),
    });
  const registered = async (as: string, body: Record<string, unknown>): Promise<View> => {
    const res = await register(as, body);
    expect(res.status).toBe(201);
    return (await res.json()) as View;
  };
  const search = async (as: string, query: string): Promise<Page> => {
    const res = await get(as, `/v1/customers?${query}`);
    expect(res.status).toBe(200);
    return (await res.json()) as Page;
  };
  const expectNotFound = async (res: Response, id: string) => {
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({
      statusCode: 404,
      error: 'Not Found',
      code: 'CUSTOMER_NOT_FOUND',
      message: `customer ${id} not found`,
    });
  };

  beforeAll(async () => {
    port = await freePort();
    const env = testEnv();
    issuer = await TestTokenIssuer.start();
    stub = await AbilityStub.start({
      [staffA]: { roles: ['staff'], teamIds: [north] },
      [staffB]: { roles: ['staff'], teamIds: [south] },
      [supervisor]: { roles: ['supervisor'], teamIds: [north] },
      [auditor]: { roles: ['auditor'] },
      [lowClearance]: { roles: ['staff'], clearance: 'internal' },
      [partner]: { roles: ['partner'] },
    });
    for (const [name, userId, roles] of [
      ['staffA', staffA, ['staff']],
      ['staffB', staffB, ['staff']],
      ['supervisor', supervisor, ['supervisor']],
      ['auditor', auditor, ['auditor']],
      ['lowClearance', lowClearance, ['staff']],
      ['partner', partner, ['partner']],
    ] as const) {
      tokens[name] = await issuer.issue({ userId, roles: [...roles] });
    }
    app = await launchApp('customer-records', {
      port,
      env: {
        CUSTOMER_RECORDS_PORT: String(port),
        CUSTOMER_RECORDS_DB_SCHEMA: schema,
        KAFKA_TOPIC_PREFIX: uniqueTopicPrefix('e2e-access'),
        DATABASE_URL: env.databaseUrl,
        REDIS_URL: env.redisUrl,
        KAFKA_BROKERS: env.kafkaBrokers.join(','),
        AUTH_JWKS_URL: issuer.jwksUrl,
        AUTHORIZATION_URL: stub.url,
        WARDEN_KEKS: `1:${randomBytes(32).toString('base64')}`,
        CUSTOMER_RECORDS_BLIND_INDEX_KEY: randomBytes(32).toString('base64'),
      },
    });
    ofA = await registered('staffA', {
      name: 'Customer Of A',
      teamId: north,
      classification: 'confidential',
      ...SENSITIVE,
    });
    ofB = await registered('staffB', { name: 'Customer Of B', teamId: south, ...SENSITIVE });
    ofBInNorth = await registered('staffB', {
      name: 'Customer Of B North',
      teamId: north,
      mobile: SENSITIVE.mobile,
    });
  });

  afterAll(async () => {
    await app?.stop();
    await stub?.stop();
    await issuer?.stop();
  });

  describe('registering', () => {
    it('makes the caller the owner when no owner is given, and fetches the ability with the caller token', async () => {
      expect(ofA).toMatchObject({ ownerId: staffA, teamId: north });
      expect(stub.requests).toContain(staffA);
    });

    it('refuses staff registering a customer for another owner with 403 FORBIDDEN', async () => {
      const res = await register('staffA', { name: 'Not Mine', ownerId: staffB });
      expect(res.status).toBe(403);
      expect(((await res.json()) as { code: string }).code).toBe('FORBIDDEN');
    });

    it('refuses a caller whose roles cannot create customers, and one above their clearance', async () => {
      expect((await register('supervisor', { name: 'Sup' })).status).toBe(403);
      expect((await register('auditor', { name: 'Aud' })).status).toBe(403);
      expect((await register('lowClearance', { name: 'Secret', classification: 'restricted' })).status).toBe(
        403,
      );
      expect((await register('lowClearance', { name: 'Plain', classification: 'internal' })).status).toBe(
        201,
      );
    });
  });

  describe('when the caller is the staff owner', () => {
    it('shows mobile and e-mail in clear, national ID and address masked', async () => {
      const res = await get('staffA', `/v1/customers/${ofA.id}`);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({
        id: ofA.id,
        name: 'Customer Of A',
        ownerId: staffA,
        mobile: SENSITIVE.mobile,
        email: SENSITIVE.email,
        nationalId: MASKED.nationalId,
        address: MASKED.address,
      });
    });

    it("answers 404 for another owner's customer, exactly as for a missing one", async () => {
      await expectNotFound(await get('staffA', `/v1/customers/${ofB.id}`), ofB.id);
      await expectNotFound(await get('staffA', `/v1/customers/${ofBInNorth.id}`), ofBInNorth.id);
    });

    it("does not find another owner's customer with the same mobile", async () => {
      const page = await search('staffA', `mobile=${encodeURIComponent(SENSITIVE.mobile)}`);
      expect(page.items.map((c) => c.id)).toEqual([ofA.id]);
      expect(page.items[0]).toMatchObject({ mobile: SENSITIVE.mobile, nationalId: MASKED.nationalId });
      expect((await search('staffB', 'mobile=13955550101')).items.map((c) => c.id).sort()).toEqual(
        [ofB.id, ofBInNorth.id].sort(),
      );
    });
  });

  describe('when the caller supervises a team', () => {
    it("shows the team's customers with every sensitive field masked", async () => {
      const res = await get('supervisor', `/v1/customers/${ofA.id}`);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ id: ofA.id, name: 'Customer Of A', ...MASKED });
    });

    it('answers 404 outside the team', async () => {
      await expectNotFound(await get('supervisor', `/v1/customers/${ofB.id}`), ofB.id);
    });

    it("finds only the team's customers", async () => {
      const page = await search('supervisor', 'mobile=13955550101');
      expect(page.items.map((c) => c.id).sort()).toEqual([ofA.id, ofBInNorth.id].sort());
      for (const item of page.items) expect(item.mobile).toBe(MASKED.mobile);
    });
  });

  describe('when the caller is an auditor', () => {
    it('shows the id and name only (and the version, always shown), every sensitive field omitted', async () => {
      const res = await get('auditor', `/v1/customers/${ofA.id}`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ id: ofA.id, name: 'Customer Of A', version: 1 });
    });

    it('finds every customer within clearance, names only', async () => {
      const page = await search('auditor', 'mobile=13955550101');
      expect(page.items).toEqual(
        expect.arrayContaining([
          { id: ofA.id, name: 'Customer Of A', version: 1 },
          { id: ofB.id, name: 'Customer Of B', version: 1 },
          { id: ofBInNorth.id, name: 'Customer Of B North', version: 1 },
        ]),
      );
      expect(page.items).toHaveLength(3);
    });
  });

  describe('when a customer is shared with a partner', () => {
    const send = (as: string, method: string, path: string, body?: unknown) =>
      fetch(`${app.url}${path}`, {
        method,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens[as]}` },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    const shareOfA = (as: string, body: unknown) => send(as, 'POST', `/v1/customers/${ofA.id}/shares`, body);

    it('shows the partner nothing before, the shared customer masked after, and nothing once the share ends', async () => {
      await expectNotFound(await get('partner', `/v1/customers/${ofA.id}`), ofA.id);
      expect((await search('partner', '')).items).toEqual([]);

      const shared = await shareOfA('staffA', { userId: partner, reason: 'joint account review' });
      expect(shared.status).toBe(200);
      expect(await shared.json()).toMatchObject({ customerId: ofA.id, sharedWith: [partner] });

      const seen = await get('partner', `/v1/customers/${ofA.id}`);
      expect(seen.status).toBe(200);
      expect(await seen.json()).toMatchObject({ id: ofA.id, name: 'Customer Of A', ...MASKED });
      expect((await search('partner', '')).items.map((item) => item.id)).toEqual([ofA.id]);
      // Only that customer: the partner finds no other by an exact mobile either.
      expect((await search('partner', `mobile=${encodeURIComponent(SENSITIVE.mobile)}`)).items.map((item) => item.id)).toEqual([ofA.id]);
      await expectNotFound(await get('partner', `/v1/customers/${ofB.id}`), ofB.id);
      // A partner cannot reveal in clear what the role shows masked.
      expect((await get('partner', `/v1/customers/${ofA.id}?reveal=nationalId&reason=check`)).status).toBe(403);

      const ended = await send('staffA', 'DELETE', `/v1/customers/${ofA.id}/shares/${partner}`, { reason: 'review over' });
      expect(ended.status).toBe(200);
      expect(await ended.json()).toMatchObject({ sharedWith: [] });
      await expectNotFound(await get('partner', `/v1/customers/${ofA.id}`), ofA.id);
    });

    it('leaves shares to those who may update the customer: 404 outside their view, 403 for a read-only view', async () => {
      const body = { userId: partner, reason: 'joint account review' };
      await expectNotFound(await shareOfA('staffB', body), ofA.id);
      expect((await shareOfA('supervisor', body)).status).toBe(403);
      expect((await shareOfA('partner', { userId: staffB, reason: 'passing it on' })).status).toBe(404);
      expect((await send('supervisor', 'GET', `/v1/customers/${ofA.id}/shares`)).status).toBe(403);
    });

    it('answers bad input with 400 naming the field, and conflicts with 404/409', async () => {
      const missingReason = await shareOfA('staffA', { userId: partner });
      expect(missingReason.status).toBe(400);
      expect(JSON.stringify(await missingReason.json())).toContain('reason');
      expect((await shareOfA('staffA', { userId: '', reason: 'x' })).status).toBe(400);
      expect((await shareOfA('staffA', { userId: partner, reason: 'x', extra: true })).status).toBe(400);

      const withOwner = await shareOfA('staffA', { userId: staffA, reason: 'x' });
      expect(withOwner.status).toBe(409);
      expect(await withOwner.json()).toMatchObject({ code: 'CUSTOMER_OWNED_BY_USER' });

      const notShared = await send('staffA', 'DELETE', `/v1/customers/${ofA.id}/shares/${randomUUID()}`);
      expect(notShared.status).toBe(404);
      expect(await notShared.json()).toMatchObject({ code: 'SHARE_NOT_FOUND' });
    });

    it('shares idempotently and lists the shares for the owner', async () => {
      const body = { userId: partner, reason: 'quarterly review' };
      const first = (await (await shareOfA('staffA', body)).json()) as { version: number };
      const again = (await (await shareOfA('staffA', body)).json()) as { version: number; sharedWith: string[] };
      expect(again.version).toBe(first.version);
      expect(again.sharedWith).toEqual([partner]);
      const listed = await send('staffA', 'GET', `/v1/customers/${ofA.id}/shares`);
      expect(await listed.json()).toMatchObject({ customerId: ofA.id, sharedWith: [partner] });
      expect((await send('staffA', 'DELETE', `/v1/customers/${ofA.id}/shares/${partner}`)).status).toBe(200);
    });
  });

  describe('when the policy cannot be read', () => {
    it('refuses with 503 AUTH_UNAVAILABLE (fail closed), for a read and a search', async () => {
      const stranger = randomUUID();
      stub.set(stranger, { roles: ['auditor'] });
      const token = await issuer.issue({ userId: stranger, roles: ['auditor'] });
      await stub.stop();
      for (const path of [`/v1/customers/${ofA.id}`, '/v1/customers?mobile=13955550101']) {
        const res = await fetch(`${app.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
        expect(res.status).toBe(503);
        const body = (await res.json()) as { code: string; message: string };
        expect(body.code).toBe('AUTH_UNAVAILABLE');
        expect(body.message).not.toContain(token);
      }
    });

    it('still serves a caller whose ability is cached', async () => {
      expect((await get('staffA', `/v1/customers/${ofA.id}`)).status).toBe(200);
    });
  });
});
