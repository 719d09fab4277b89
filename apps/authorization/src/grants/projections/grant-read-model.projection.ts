import type { EventEnvelope, GrantApprovedData, GrantExpiredData, GrantRequestedData } from '@warden/contracts';
import { quoteSchema, type InlineProjection } from '@warden/event-store';
import type { MigrationInterface, QueryRunner } from 'typeorm';

const STATUS_OF: Record<string, string> = {
  GrantApproved: 'active',
  GrantRejected: 'rejected',
  GrantRevoked: 'revoked',
  GrantExpired: 'expired',
};

/** `grants`: one row per grant with its current status; the ability reads the active ones. */
export function grantReadModelProjection(schema: string): InlineProjection {
  const s = quoteSchema(schema);
  return {
    name: 'grant-read-model',
    handles: ['GrantRequested', 'GrantApproved', 'GrantRejected', 'GrantRevoked', 'GrantExpired'],
    async apply(events: readonly EventEnvelope[], manager) {
      for (const event of events) {
        if (event.type === 'GrantRequested') {
          const d = event.data as GrantRequestedData;
          await manager.query(
            `INSERT INTO ${s}.grants (id, user_id, permissions, reason, status, expires_at, requested_by, version, created_at, updated_at)
             VALUES ($1, $2, $3::jsonb, $4, 'pending', $5, $6, $7, $8, $8)`,
            [d.grantId, d.userId, JSON.stringify(d.permissions), d.reason, d.expiresAt, d.requestedBy, event.streamVersion, event.occurredAt],
          );
          continue;
        }
        const status = STATUS_OF[event.type];
        if (!status) continue;
        const d = event.data as GrantApprovedData | GrantExpiredData;
        const decision = 'by' in d ? { by: d.by, comment: d.comment } : { by: null, comment: null };
        await manager.query(
          `UPDATE ${s}.grants SET status = $2, decided_by = COALESCE($3, decided_by), decision_comment = COALESCE($4, decision_comment),
             version = $5, updated_at = $6 WHERE id = $1`,
          [d.grantId, status, decision.by, decision.comment, event.streamVersion, event.occurredAt],
        );
      }
    },
  };
}

export function grantReadModelMigrations(schema: string): Array<new () => MigrationInterface> {
  const s = quoteSchema(schema);
  class GrantReadModel1764400500000 implements MigrationInterface {
    name = 'GrantReadModel1764400500000';
    async up(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.query(`
        CREATE TABLE ${s}.grants (
          id uuid PRIMARY KEY,
          user_id uuid NOT NULL,
          permissions jsonb NOT NULL,
          reason text NOT NULL,
          status text NOT NULL,
          expires_at timestamptz NOT NULL,
          requested_by text NOT NULL,
          decided_by text,
          decision_comment text,
          version integer NOT NULL,
          created_at timestamptz NOT NULL,
          updated_at timestamptz NOT NULL
        )`);
      await queryRunner.query(`CREATE INDEX grants_user ON ${s}.grants (user_id, status)`);
      await queryRunner.query(`CREATE INDEX grants_due ON ${s}.grants (expires_at) WHERE status IN ('pending', 'active')`);
    }
    async down(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.query(`DROP TABLE ${s}.grants`);
    }
  }
  return [GrantReadModel1764400500000];
}
