import { eventRegistry, systemActor, type GrantEvent, type UserEvent } from '@warden/contracts';
import { EventStore, type CommandMetadata } from '@warden/event-store';
import { createTestSchema, dropTestSchema, testEnv, uniqueName } from '@warden/testing';
import Redis from 'ioredis';
import type { DataSource } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import type { AbilityService } from '../policy/ability.service';
import { PolicyVersionService } from '../policy/policy-version.service';
import { policyVersionMigrations, policyVersionProjection } from '../policy/projections/policy-version.projection';
import { roleReadModelMigrations } from '../roles/projections/role-read-model.projection';
import { teamReadModelMigrations } from '../teams/projections/team-read-model.projection';
import { userReadModelMigrations, userReadModelProjection } from '../users/projections/user-read-model.projection';
import { GrantService, grantStreamId } from './grant.service';
import { grantReadModelMigrations, grantReadModelProjection } from './projections/grant-read-model.projection';

const metadataAt = (now: Date): CommandMetadata => ({ actor: systemActor('authorization'), correlationId: `test-${uuidv7()}`, causationId: null, now });

describe('GrantService.expireDue (Postgres, Redis)', () => {
  const schema = uniqueName('t_grant_expiry');
  let dataSource: DataSource;
  let redis: Redis;
  let store: EventStore;
  let grants: GrantService;

  beforeAll(async () => {
    ({ dataSource } = await createTestSchema(
      'grant_expiry',
      [
        ...teamReadModelMigrations(schema),
        ...userReadModelMigrations(schema),
        ...roleReadModelMigrations(schema),
        ...policyVersionMigrations(schema),
        ...grantReadModelMigrations(schema),
      ],
      schema,
    ));
    redis = new Redis(testEnv().redisUrl);
    store = new EventStore({
      dataSource,
      schema,
      registry: eventRegistry,
      projections: [userReadModelProjection(schema), grantReadModelProjection(schema), policyVersionProjection(schema)],
    });
    const versions = new PolicyVersionService(store, dataSource, redis);
    grants = new GrantService(store, dataSource, {} as AbilityService, versions);
  });

  afterAll(async () => {
    redis?.disconnect();
    await dropTestSchema(dataSource, schema);
  });

  /** A user with an approved grant expiring at `expiresAt`. */
  async function activeGrant(expiresAt: string): Promise<{ userId: string; grantId: string }> {
    const userId = uuidv7();
    const grantId = uuidv7();
    const created: UserEvent = {
      type: 'UserCreated',
      data: { userId, username: `u-${userId}`, displayName: 'U', email: 'u***@example.com', roles: ['staff'], teamId: null, managerId: null, clearance: 'internal', status: 'active' },
    };
    await store.append(`user-${userId}`, [created], { expectedVersion: 0, metadata: metadataAt(new Date('2030-01-01T00:00:00Z')) });
    const events: GrantEvent[] = [
      { type: 'GrantRequested', data: { grantId, userId, permissions: [{ action: 'reveal', subject: 'Customer' }], reason: 'r', expiresAt, requestedBy: userId } },
      { type: 'GrantApproved', data: { grantId, userId, by: uuidv7(), comment: null } },
    ];
    await store.append(grantStreamId(grantId), events, { expectedVersion: 0, metadata: metadataAt(new Date('2030-01-01T00:00:00Z')) });
    return { userId, grantId };
  }

  it('records GrantExpired once for a grant past its expiry, bumps and mirrors the grantee’s version, leaves others', async () => {
    const due = await activeGrant('2030-01-01T01:00:00.000Z');
    const later = await activeGrant('2030-01-03T00:00:00.000Z');

    // Two sweeps at once (two instances): the advisory lock or the decider keeps it to one event.
    const now = new Date('2030-01-02T00:00:00Z');
    const counts = await Promise.all([grants.expireDue(metadataAt(now)), grants.expireDue(metadataAt(now))]);
    expect(counts.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(1);
    expect(await grants.expireDue(metadataAt(now))).toBe(0);

    const types: Array<{ type: string }> = await dataSource.query(
      `SELECT type FROM "${schema}".events WHERE stream_id = $1 ORDER BY stream_version`,
      [grantStreamId(due.grantId)],
    );
    expect(types.map((t) => t.type)).toEqual(['GrantRequested', 'GrantApproved', 'GrantExpired']);
    expect((await grants.get(due.grantId)).status).toBe('expired');
    expect((await grants.get(later.grantId)).status).toBe('active');
    const [{ version }]: Array<{ version: string }> = await dataSource.query(`SELECT version FROM "${schema}".policy_versions WHERE user_id = $1`, [due.userId]);
    expect(Number(version)).toBe(4); // created, requested, approved, expired
    expect(Number(await redis.get(PolicyVersionService.redisKey(due.userId)))).toBe(4);
  });
});
