import { expectEventually } from '@warden/testing';
import { createHash, randomUUID } from 'node:crypto';
import { AlertingHarness, TOPICS } from './test/alerting-harness';
import { RealAuthorization } from './test/real-authorization';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

type AbilityRule = { action: string[]; subject: string; inverted: boolean; source?: { kind: string; id: string } };

/**
 * Automated response against the REAL authorization app: a rule with `suspend-exports` fires →
 * the user's compiled ability carries the export deny (a restriction imposed by
 * `system:anomaly-alerting`); resolving the alert as a false positive lifts it.
 */
describe('anomaly-alerting: automated response with the real authorization service', () => {
  const h = new AlertingHarness();
  const auth = new RealAuthorization();

  beforeAll(async () => {
    await auth.start(h.prefix);
    await h.start(1, {
      AUTHORIZATION_URL: auth.url,
      SERVICE_CLIENT_ID: 'anomaly-alerting',
      SERVICE_CLIENT_SECRET: auth.serviceSecret,
    });
  });
  afterAll(async () => {
    await h.stop();
    await auth.stop();
  });

  const exportDenies = async (userId: string): Promise<AbilityRule[]> => {
    const res = await auth.call<{ rules: AbilityRule[] }>(`/v1/users/${userId}/ability`, { token: auth.adminToken });
    expect(res.status).toBe(200);
    return res.body.rules.filter((r) => r.inverted && r.action.includes('export'));
  };

  it('suspends exports when the alert is raised and lifts the suspension when it is resolved as a false positive', async () => {
    const userId = await auth.createUser(['staff']);
    expect(await exportDenies(userId)).toEqual([]);
    await h.json('/v1/rules/brute-force', { method: 'PUT', body: { response: ['suspend-exports'] } });

    await h.events.send(
      TOPICS.auth,
      Array.from({ length: 10 }, () =>
        h.events.build(`login-${randomUUID()}`, 'LoginFailed', { userId, usernameHash: sha(userId), reason: 'bad_credentials' }),
      ),
    );
    const [alert] = await h.eventuallyAlerts(`rule=brute-force&userId=${userId}`, (a) => a.length === 1);

    const denies = await expectEventually(
      async () => {
        const found = await exportDenies(userId);
        if (found.length !== 1) throw new Error(`export denies: ${JSON.stringify(found)}\n--- anomaly-alerting ---\n${h.apps[0].output().slice(-3000)}`);
        return found;
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    expect(denies[0].source?.id).toMatch(/^restriction:/);
    const restrictionId = (denies[0].source?.id ?? '').slice('restriction:'.length);
    const taken = await expectEventually(
      async () => {
        const detail = await h.json<{ responses: Array<{ response: string; undo: boolean; reference: string | null }> }>(`/v1/alerts/${alert.id}`);
        if (!detail.responses?.length) throw new Error('no response recorded yet');
        return detail.responses;
      },
      { timeoutMs: 30_000, intervalMs: 500 },
    );
    expect(taken).toEqual([expect.objectContaining({ response: 'suspend-exports', undo: false, reference: restrictionId })]);

    await h.json(`/v1/alerts/${alert.id}/resolve`, { method: 'POST', body: { resolution: 'false_positive', comment: 'travelling, confirmed by phone' } });
    await expectEventually(
      async () => {
        const left = await exportDenies(userId);
        if (left.length) throw new Error(`still denied: ${JSON.stringify(left)}`);
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    await expectEventually(
      async () => {
        const detail = await h.json<{ responses: Array<{ response: string; undo: boolean }> }>(`/v1/alerts/${alert.id}`);
        expect(detail.responses).toEqual([
          expect.objectContaining({ response: 'suspend-exports', undo: false }),
          expect.objectContaining({ response: 'suspend-exports', undo: true }),
        ]);
      },
      { timeoutMs: 30_000, intervalMs: 500 },
    );
    await h.json('/v1/rules/brute-force', { method: 'PUT', body: { response: [] } });
  });
});
