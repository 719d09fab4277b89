import type { EventEnvelope, ScimGroupMembersAddedData, ScimGroupMembersRemovedData, ScimGroupRoleChangedData, UserCreatedData, UserUpdatedData } from '@warden/contracts';
import { quoteSchema, type InlineProjection } from '@warden/event-store';
import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The source of a role assignment granted by an admin (or at creation): anything but a SCIM group. */
export const DIRECT_SOURCE = 'direct';
export const groupSource = (groupId: string): string => `scim-group:${groupId}`;

/**
 * `role_assignments`: why a user holds each role, one row per (user, role, source): `direct` (an
 * admin's change, the creation, SCIM's default role) or `scim-group:<id>`. A user's roles (the
 * `users.roles` of the user aggregate) are the roles with at least one row; the SCIM group service
 * keeps them so after each group change (it reads this table in the same transaction).
 *
 * - UserCreated: a `direct` row per role.
 * - UserUpdated with roles (the new whole list): rows of roles no longer held are dropped, whatever
 *   their source (an admin who removes a role removes it, until the identity provider sends the
 *   membership again); a role held without any row gets a `direct` row. When the SCIM group service
 *   sets the roles, it has written the group's rows first, so no `direct` row appears.
 * - ScimGroupMembersAdded / Removed / RoleChanged: the group's rows of its members.
 */
export function roleAssignmentProjection(schema: string): InlineProjection {
  const s = quoteSchema(schema);
  return {
    name: 'role-assignment',
    handles: ['UserCreated', 'UserUpdated', 'ScimGroupMembersAdded', 'ScimGroupMembersRemoved', 'ScimGroupRoleChanged'],
    async apply(events: readonly EventEnvelope[], manager) {
      const insert = (userIds: string[], role: string, source: string) =>
        manager.query(
          `INSERT INTO ${s}.role_assignments (user_id, role, source) SELECT unnest($1::uuid[]), $2, $3 ON CONFLICT DO NOTHING`,
          [userIds, role, source],
        );
      for (const event of events) {
        switch (event.type) {
          case 'UserCreated': {
            const d = event.data as UserCreatedData;
            for (const role of d.roles) await insert([d.userId], role, DIRECT_SOURCE);
            break;
          }
          case 'UserUpdated': {
            const d = event.data as UserUpdatedData;
            if (!d.roles) break;
            await manager.query(`DELETE FROM ${s}.role_assignments WHERE user_id = $1 AND NOT (role = ANY($2::text[]))`, [d.userId, d.roles]);
            await manager.query(
              `INSERT INTO ${s}.role_assignments (user_id, role, source)
               SELECT $1, r, $3 FROM unnest($2::text[]) r
               WHERE NOT EXISTS (SELECT 1 FROM ${s}.role_assignments a WHERE a.user_id = $1 AND a.role = r)`,
              [d.userId, d.roles, DIRECT_SOURCE],
            );
            break;
          }
          case 'ScimGroupMembersAdded': {
            const d = event.data as ScimGroupMembersAddedData;
            if (d.role) await insert(d.userIds, d.role, groupSource(d.groupId));
            break;
          }
          case 'ScimGroupMembersRemoved': {
            const d = event.data as ScimGroupMembersRemovedData;
            await manager.query(`DELETE FROM ${s}.role_assignments WHERE source = $1 AND user_id = ANY($2::uuid[])`, [groupSource(d.groupId), d.userIds]);
            break;
          }
          case 'ScimGroupRoleChanged': {
            // Every current member (scim_group_members, kept by the scim-group projection before this one) follows the new role.
            const d = event.data as ScimGroupRoleChangedData;
            await manager.query(`DELETE FROM ${s}.role_assignments WHERE source = $1`, [groupSource(d.groupId)]);
            if (d.to) {
              await manager.query(
                `INSERT INTO ${s}.role_assignments (user_id, role, source) SELECT user_id, $2, $3 FROM ${s}.scim_group_members WHERE group_id = $1
                 ON CONFLICT DO NOTHING`,
                [d.groupId, d.to, groupSource(d.groupId)],
              );
            }
            break;
          }
          default:
            break;
        }
      }
    },
  };
}

/** `role_assignments`, filled with a `direct` row for every role users already hold. Runs after the user read model. */
export function roleAssignmentMigrations(schema: string): Array<new () => MigrationInterface> {
  const s = quoteSchema(schema);
  class RoleAssignments1765100000000 implements MigrationInterface {
    name = 'RoleAssignments1765100000000';
    async up(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.query(`
        CREATE TABLE ${s}.role_assignments (
          user_id uuid NOT NULL,
          role text NOT NULL,
          source text NOT NULL,
          PRIMARY KEY (user_id, role, source)
        )`);
      await queryRunner.query(`CREATE INDEX role_assignments_source ON ${s}.role_assignments (source)`);
      await queryRunner.query(
        `INSERT INTO ${s}.role_assignments (user_id, role, source) SELECT id, unnest(roles), '${DIRECT_SOURCE}' FROM ${s}.users ON CONFLICT DO NOTHING`,
      );
    }
    async down(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.query(`DROP TABLE ${s}.role_assignments`);
    }
  }
  return [RoleAssignments1765100000000];
}
