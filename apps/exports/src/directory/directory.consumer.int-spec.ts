import { randomUUID } from 'node:crypto';
import { GENESIS_HASH, systemActor, type EventEnvelope } from '@warden/contracts';
import { quoteSchema, type EventStore } from '@warden/event-store';
import { createTestSchema, dropTestSchema } from '@warden/testing';
import type { DataSource } from 'typeorm';
import { exportReadModelMigrations } from '../export/projections/export-read-model.projection';
import { applyDirectoryEvent } from './directory.consumer';
import { DirectoryService } from './directory.service';

const envelope = (type: string, data: Record<string, unknown>): EventEnvelope => ({
  eventId: randomUUID(),
  type,
  schemaVersion: 1,
  streamId: `user-${String(data.userId)}`,
  streamVersion: 1,
  globalPosition: 1,
  occurredAt: new Date().toISOString(),
  actor: systemActor('directory-spec'),
  correlationId: randomUUID(),
  causationId: null,
  data,
  prevHash: GENESIS_HASH,
  hash: GENESIS_HASH,
});

/** The exports service's copy of the user directory, as authorization's events shape it (real Postgres). */
describe('exports directory: departing users', () => {
  let dataSource: DataSource;
  let schema: string;

  beforeAll(async () => {
    schema = `t_exports_directory_${randomUUID().slice(0, 8)}`;
    ({ dataSource } = await createTestSchema('exports-directory', exportReadModelMigrations(schema), schema));
  });

  afterAll(async () => {
    await dropTestSchema(dataSource, schema);
  });

  const apply = (type: string, data: Record<string, unknown>) =>
    dataSource.transaction((manager) => applyDirectoryEvent(quoteSchema(schema), envelope(type, data), manager));
  const statusOf = async (userId: string): Promise<string | undefined> =>
    ((await dataSource.query(`SELECT status FROM ${quoteSchema(schema)}.directory_users WHERE user_id = $1`, [userId])) as Array<{ status: string }>)[0]
      ?.status;
  const created = (userId: string, status = 'active') =>
    apply('UserCreated', { userId, status, teamId: null, managerId: null, username: `user-${userId.slice(0, 8)}`, displayName: 'Lin Wei' });
  const effectiveAt = '2026-12-31T00:00:00.000Z';

  it('makes an active user departing, and active again when the departure is cancelled', async () => {
    const userId = randomUUID();
    await created(userId);
    await apply('UserMarkedDeparting', { userId, effectiveAt });
    expect(await statusOf(userId)).toBe('departing');
    await apply('UserDepartureCancelled', { userId, effectiveAt, reason: 'case cancelled' });
    expect(await statusOf(userId)).toBe('active');
  });

  it('keeps a disabled user disabled through a departing mark and its cancellation', async () => {
    const userId = randomUUID();
    await created(userId, 'disabled');
    await apply('UserMarkedDeparting', { userId, effectiveAt });
    expect(await statusOf(userId)).toBe('disabled');
    await apply('UserDepartureCancelled', { userId, effectiveAt, reason: 'case cancelled' });
    expect(await statusOf(userId)).toBe('disabled');
  });

  it('records a user it has not seen yet as departing (fail closed: their exports need approval)', async () => {
    const userId = randomUUID();
    await apply('UserMarkedDeparting', { userId, effectiveAt });
    expect(await statusOf(userId)).toBe('departing');
  });

  it('keeps the name of each user, renamed by later updates, for approvers to see', async () => {
    const userId = randomUUID();
    const service = new DirectoryService(dataSource, { schema } as EventStore);
    await created(userId);
    expect((await service.namesOf([userId, randomUUID()])).get(userId)).toEqual({ username: `user-${userId.slice(0, 8)}`, displayName: 'Lin Wei' });
    await apply('UserUpdated', { userId, displayName: 'Lin Wei-Chen' });
    await apply('UserUpdated', { userId, username: 'lin.weichen' });
    await apply('UserUpdated', { userId, teamId: 'team-9' });
    const names = await service.namesOf([userId]);
    expect(names.get(userId)).toEqual({ username: 'lin.weichen', displayName: 'Lin Wei-Chen' });
    expect(names.size).toBe(1);
  });

  it('applies every field an update carries, a manager removed (null) included, and leaves the others', async () => {
    const userId = randomUUID();
    const managerId = randomUUID();
    await created(userId);
    await apply('UserUpdated', { userId, teamId: 'team-7', managerId, displayName: 'L. W. Chen' });
    const row = async () =>
      (await dataSource.query(`SELECT team_id, manager_id, username, display_name FROM "${schema}".directory_users WHERE user_id = $1`, [userId]))[0];
    expect(await row()).toEqual({ team_id: 'team-7', manager_id: managerId, username: `user-${userId.slice(0, 8)}`, display_name: 'L. W. Chen' });
    await apply('UserUpdated', { userId, managerId: null });
    expect(await row()).toEqual({ team_id: 'team-7', manager_id: null, username: `user-${userId.slice(0, 8)}`, display_name: 'L. W. Chen' });
  });
});
