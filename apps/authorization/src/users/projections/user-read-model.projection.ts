import type {
  EventEnvelope,
  UserCreatedData,
  UserStatusChangedData,
  UserUpdatedData,
} from '@warden/contracts';
import { quoteSchema, type InlineProjection } from '@warden/event-store';
import type { MigrationInterface, QueryRunner } from 'typeorm';

const columns: Record<string, string> = {
  username: 'username',
  displayName: 'display_name',
  email: 'email_masked',
  roles: 'roles',
  teamId: 'team_id',
  managerId: 'manager_id',
  clearance: 'clearance',
};

/** `users`: one row per user, kept in the transaction that appends its events. */
export function userReadModelProjection(schema: string): InlineProjection {
  const s = quoteSchema(schema);
  return {
    name: 'user-read-model',
    handles: ['UserCreated', 'UserUpdated', 'UserStatusChanged'],
    async apply(events: readonly EventEnvelope[], manager) {
      for (const event of events) {
        switch (event.type) {
          case 'UserCreated': {
            const d = event.data as UserCreatedData;
            await manager.query(
              `INSERT INTO ${s}.users (id, username, display_name, email_masked, roles, team_id, manager_id, clearance,
                 status, version, created_at, updated_at)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)`,
              [d.userId, d.username, d.displayName, d.email, d.roles, d.teamId, d.managerId, d.clearance, d.status,
                event.streamVersion, event.occurredAt],
            );
            break;
          }
          case 'UserUpdated': {
            const { userId, ...changes } = event.data as UserUpdatedData;
            const sets: string[] = [];
            const values: unknown[] = [userId, event.streamVersion, event.occurredAt];
            for (const [field, value] of Object.entries(changes)) {
              values.push(value);
              sets.push(`${columns[field]} = $${values.length}`);
            }
            await manager.query(
              `UPDATE ${s}.users SET ${[...sets, 'version = $2', 'updated_at = $3'].join(', ')} WHERE id = $1`,
              values,
            );
            break;
          }
          case 'UserStatusChanged': {
            const d = event.data as UserStatusChangedData;
            await manager.query(`UPDATE ${s}.users SET status = $2, version = $3, updated_at = $4 WHERE id = $1`, [
              d.userId, d.to, event.streamVersion, event.occurredAt,
            ]);
            break;
          }
          default:
            break;
        }
      }
    },
  };
}

/**
 * `users` (the read model) and `user_credentials` (password hash and clear e-mail, written by the
 * service in the same transaction: neither is in any event).
 */
export function userReadModelMigrations(schema: string): Array<new () => MigrationInterface> {
  const s = quoteSchema(schema);
  class UserReadModel1764400100000 implements MigrationInterface {
    name = 'UserReadModel1764400100000';
    async up(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.query(`
        CREATE TABLE ${s}.users (
          id uuid PRIMARY KEY,
          username text NOT NULL,
          display_name text NOT NULL,
          email_masked text NOT NULL,
          roles text[] NOT NULL,
          team_id uuid,
          manager_id uuid,
          clearance text NOT NULL,
          status text NOT NULL,
          version integer NOT NULL,
          created_at timestamptz NOT NULL,
          updated_at timestamptz NOT NULL
        )`);
      await queryRunner.query(`CREATE UNIQUE INDEX users_username ON ${s}.users (lower(username))`);
      await queryRunner.query(`CREATE INDEX users_team ON ${s}.users (team_id)`);
      await queryRunner.query(`
        CREATE TABLE ${s}.user_credentials (
          user_id uuid PRIMARY KEY REFERENCES ${s}.users (id),
          password_hash text NOT NULL,
          email text NOT NULL,
          updated_at timestamptz NOT NULL
        )`);
    }
    async down(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.query(`DROP TABLE ${s}.user_credentials`);
      await queryRunner.query(`DROP TABLE ${s}.users`);
    }
  }
  return [UserReadModel1764400100000];
}
