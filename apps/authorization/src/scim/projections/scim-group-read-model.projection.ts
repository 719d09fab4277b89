import type { EventEnvelope, ScimGroupDeletedData, ScimGroupMembersAddedData, ScimGroupMembersRemovedData } from '@warden/contracts';
import { quoteSchema, type InlineProjection } from '@warden/event-store';
import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `scim_group_members` from the group events. The group's own row (`scim_groups`: display name,
 * externalId, mapped role) is written by ScimGroupService in the same transaction: the display name
 * is not in the events.
 */
export function scimGroupReadModelProjection(schema: string): InlineProjection {
  const s = quoteSchema(schema);
  return {
    name: 'scim-group-read-model',
    handles: ['ScimGroupMembersAdded', 'ScimGroupMembersRemoved', 'ScimGroupDeleted'],
    async apply(events: readonly EventEnvelope[], manager) {
      for (const event of events) {
        if (event.type === 'ScimGroupMembersAdded') {
          const d = event.data as ScimGroupMembersAddedData;
          await manager.query(
            `INSERT INTO ${s}.scim_group_members (group_id, user_id) SELECT $1, unnest($2::uuid[]) ON CONFLICT DO NOTHING`,
            [d.groupId, d.userIds],
          );
        } else if (event.type === 'ScimGroupMembersRemoved') {
          const d = event.data as ScimGroupMembersRemovedData;
          await manager.query(`DELETE FROM ${s}.scim_group_members WHERE group_id = $1 AND user_id = ANY($2::uuid[])`, [d.groupId, d.userIds]);
        } else if (event.type === 'ScimGroupDeleted') {
          const d = event.data as ScimGroupDeletedData;
          await manager.query(`DELETE FROM ${s}.scim_group_members WHERE group_id = $1`, [d.groupId]);
        }
      }
    },
  };
}

export function scimGroupMigrations(schema: string): Array<new () => MigrationInterface> {
  const s = quoteSchema(schema);
  class ScimGroups1765100100000 implements MigrationInterface {
    name = 'ScimGroups1765100100000';
    async up(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.query(`
        CREATE TABLE ${s}.scim_groups (
          id uuid PRIMARY KEY,
          display_name text NOT NULL,
          external_id text,
          role text,
          created_at timestamptz NOT NULL,
          updated_at timestamptz NOT NULL
        )`);
      await queryRunner.query(`CREATE INDEX scim_groups_display_name ON ${s}.scim_groups (lower(display_name))`);
      await queryRunner.query(`CREATE INDEX scim_groups_external_id ON ${s}.scim_groups (external_id)`);
      await queryRunner.query(`
        CREATE TABLE ${s}.scim_group_members (
          group_id uuid NOT NULL,
          user_id uuid NOT NULL REFERENCES ${s}.users (id),
          PRIMARY KEY (group_id, user_id)
        )`);
      await queryRunner.query(`CREATE INDEX scim_group_members_user ON ${s}.scim_group_members (user_id)`);
    }
    async down(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.query(`DROP TABLE ${s}.scim_group_members`);
      await queryRunner.query(`DROP TABLE ${s}.scim_groups`);
    }
  }
  return [ScimGroups1765100100000];
}
