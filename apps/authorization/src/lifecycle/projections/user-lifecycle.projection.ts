import type {
  EventEnvelope,
  UserDepartureCancelledData,
  UserFrozenData,
  UserMarkedDepartingData,
  UserMfaRequiredData,
  UserRestrictionImposedData,
  UserRestrictionLiftedData,
} from '@warden/contracts';
import { quoteSchema, type InlineProjection } from '@warden/event-store';
import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The lifecycle columns of `users` (`departing_effective_at`, `frozen_at`, `mfa_required`) and
 * `user_restrictions` (time-bound denies, read when an ability is compiled).
 */
export function userLifecycleProjection(schema: string): InlineProjection {
  const s = quoteSchema(schema);
  return {
    name: 'user-lifecycle',
    handles: ['UserMarkedDeparting', 'UserDepartureCancelled', 'UserFrozen', 'UserMfaRequired', 'UserRestrictionImposed', 'UserRestrictionLifted'],
    async apply(events: readonly EventEnvelope[], manager) {
      for (const event of events) {
        switch (event.type) {
          case 'UserMarkedDeparting': {
            const d = event.data as UserMarkedDepartingData;
            await manager.query(`UPDATE ${s}.users SET departing_effective_at = $2 WHERE id = $1`, [d.userId, d.effectiveAt]);
            break;
          }
          case 'UserDepartureCancelled':
            await manager.query(`UPDATE ${s}.users SET departing_effective_at = NULL WHERE id = $1`, [(event.data as UserDepartureCancelledData).userId]);
            break;
          case 'UserFrozen':
            await manager.query(`UPDATE ${s}.users SET frozen_at = $2 WHERE id = $1`, [(event.data as UserFrozenData).userId, event.occurredAt]);
            break;
          case 'UserMfaRequired':
            await manager.query(`UPDATE ${s}.users SET mfa_required = true WHERE id = $1`, [(event.data as UserMfaRequiredData).userId]);
            break;
          case 'UserRestrictionImposed': {
            const d = event.data as UserRestrictionImposedData;
            await manager.query(
              `INSERT INTO ${s}.user_restrictions (id, user_id, action, until, reason, status, created_at, created_by)
               VALUES ($1, $2, $3, $4, $5, 'imposed', $6, $7)`,
              [d.restrictionId, d.userId, d.action, d.until, d.reason, event.occurredAt, event.actor.userId],
            );
            break;
          }
          case 'UserRestrictionLifted': {
            const d = event.data as UserRestrictionLiftedData;
            await manager.query(`UPDATE ${s}.user_restrictions SET status = 'lifted', lifted_at = $2 WHERE id = $1`, [d.restrictionId, event.occurredAt]);
            break;
          }
          default:
            break;
        }
      }
    },
  };
}

export function userLifecycleMigrations(schema: string): Array<new () => MigrationInterface> {
  const s = quoteSchema(schema);
  class UserLifecycle1764400700000 implements MigrationInterface {
    name = 'UserLifecycle1764400700000';
    async up(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.query(`
        ALTER TABLE ${s}.users
          ADD COLUMN departing_effective_at timestamptz,
          ADD COLUMN frozen_at timestamptz,
          ADD COLUMN mfa_required boolean NOT NULL DEFAULT false`);
      await queryRunner.query(`
        CREATE TABLE ${s}.user_restrictions (
          id uuid PRIMARY KEY,
          user_id uuid NOT NULL,
          action text NOT NULL,
          until timestamptz NOT NULL,
          reason text NOT NULL,
          status text NOT NULL,
          created_at timestamptz NOT NULL,
          created_by text NOT NULL,
          lifted_at timestamptz
        )`);
      await queryRunner.query(`CREATE INDEX user_restrictions_user ON ${s}.user_restrictions (user_id, status, until)`);
    }
    async down(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.query(`DROP TABLE ${s}.user_restrictions`);
      await queryRunner.query(`ALTER TABLE ${s}.users DROP COLUMN departing_effective_at, DROP COLUMN frozen_at, DROP COLUMN mfa_required`);
    }
  }
  return [UserLifecycle1764400700000];
}
