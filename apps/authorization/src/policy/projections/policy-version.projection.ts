import type {
  EventEnvelope,
  GrantRequestedData,
  RoleUpdatedData,
  TeamCreatedData,
  UserCreatedData,
  UserStatusChangedData,
  UserUpdatedData,
} from '@warden/contracts';
import { quoteSchema, type InlineProjection } from '@warden/event-store';
import type { EntityManager, MigrationInterface, QueryRunner } from 'typeorm';

/** The fields of a user the policy reads: a change to one of them changes the user's ability. */
const POLICY_FIELDS: ReadonlySet<string> = new Set(['roles', 'teamId', 'clearance']);

const GRANT_EVENTS = ['GrantRequested', 'GrantApproved', 'GrantRejected', 'GrantRevoked', 'GrantExpired'] as const;

/** A restriction is an explicit deny in the compiled ability. */
const RESTRICTION_EVENTS = ['UserRestrictionImposed', 'UserRestrictionLifted'] as const;

/**
 * `policy_versions`: one counter per user, bumped in the transaction of every event that changes
 * what the user may do (their roles, team, status or clearance; a role they hold; their grants; a
 * team added under one they supervise). `updated_at` is the event's `occurredAt`, which is how the
 * service finds, after commit, the counters to mirror into Redis (`PolicyVersionService`).
 */
export function policyVersionProjection(schema: string): InlineProjection {
  const s = quoteSchema(schema);
  const bump = (manager: EntityManager, userIdsSql: string, values: unknown[], at: string) =>
    manager.query(
      `INSERT INTO ${s}.policy_versions (user_id, version, updated_at)
       SELECT id, 1, $${values.length + 1}::timestamptz FROM (${userIdsSql}) AS bumped(id)
       ON CONFLICT (user_id) DO UPDATE SET version = ${s}.policy_versions.version + 1, updated_at = EXCLUDED.updated_at`,
      [...values, at],
    );
  return {
    name: 'policy-version',
    handles: ['UserCreated', 'UserUpdated', 'UserStatusChanged', 'RoleUpdated', 'TeamCreated', ...GRANT_EVENTS, ...RESTRICTION_EVENTS],
    async apply(events: readonly EventEnvelope[], manager) {
      for (const event of events) {
        const at = event.occurredAt;
        switch (event.type) {
          case 'UserCreated':
            await bump(manager, `SELECT $1::uuid`, [(event.data as UserCreatedData).userId], at);
            break;
          case 'UserUpdated': {
            const { userId, ...changes } = event.data as UserUpdatedData;
            if (Object.keys(changes).some((field) => POLICY_FIELDS.has(field))) await bump(manager, `SELECT $1::uuid`, [userId], at);
            break;
          }
          case 'UserStatusChanged':
            await bump(manager, `SELECT $1::uuid`, [(event.data as UserStatusChangedData).userId], at);
            break;
          case 'RoleUpdated':
            await bump(manager, `SELECT id FROM ${s}.users WHERE $1 = ANY(roles)`, [(event.data as RoleUpdatedData).name], at);
            break;
          case 'TeamCreated': {
            // A new sub-team widens the scope of whoever supervises one of its ancestors.
            const d = event.data as TeamCreatedData;
            await bump(
              manager,
              `WITH RECURSIVE up(id) AS (
                 SELECT $1::uuid WHERE $1::uuid IS NOT NULL
                 UNION SELECT t.parent_id FROM ${s}.teams t JOIN up ON t.id = up.id WHERE t.parent_id IS NOT NULL)
               SELECT supervisor_id FROM ${s}.teams WHERE id IN (SELECT id FROM up) AND supervisor_id IS NOT NULL
               UNION SELECT u.id FROM ${s}.users u WHERE u.team_id IN (SELECT id FROM up) AND 'supervisor' = ANY(u.roles)
               UNION SELECT $2::uuid WHERE $2::uuid IS NOT NULL`,
              [d.parentId, d.supervisorId],
              at,
            );
            break;
          }
          case 'GrantRequested':
          case 'GrantApproved':
          case 'GrantRejected':
          case 'GrantRevoked':
          case 'GrantExpired':
          case 'UserRestrictionImposed':
          case 'UserRestrictionLifted':
            await bump(manager, `SELECT $1::uuid`, [(event.data as Pick<GrantRequestedData, 'userId'>).userId], at);
            break;
          default:
            break;
        }
      }
    },
  };
}

export function policyVersionMigrations(schema: string): Array<new () => MigrationInterface> {
  const s = quoteSchema(schema);
  class PolicyVersions1764400400000 implements MigrationInterface {
    name = 'PolicyVersions1764400400000';
    async up(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.query(`
        CREATE TABLE ${s}.policy_versions (
          user_id uuid PRIMARY KEY,
          version bigint NOT NULL,
          updated_at timestamptz NOT NULL
        )`);
      await queryRunner.query(`CREATE INDEX policy_versions_updated ON ${s}.policy_versions (updated_at)`);
    }
    async down(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.query(`DROP TABLE ${s}.policy_versions`);
    }
  }
  return [PolicyVersions1764400400000];
}
