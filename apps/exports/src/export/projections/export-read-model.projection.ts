import type {
  EventEnvelope,
  ExportApprovalRequiredData,
  ExportApprovedData,
  ExportCancelledData,
  ExportCompletedData,
  ExportDownloadedData,
  ExportEvent,
  ExportExpiredData,
  ExportFailedData,
  ExportProgressedData,
  ExportRejectedData,
  ExportRequestedData,
  ExportStartedData,
} from '@warden/contracts';
import { quoteSchema, type InlineProjection } from '@warden/event-store';
import type { MigrationInterface, QueryRunner } from 'typeorm';

const HANDLED: ReadonlyArray<ExportEvent['type']> = [
  'ExportRequested',
  'ExportApprovalRequired',
  'ExportApproved',
  'ExportRejected',
  'ExportStarted',
  'ExportProgressed',
  'ExportCompleted',
  'ExportFailed',
  'ExportDownloaded',
  'ExportCancelled',
  'ExportExpired',
];

/**
 * `exports`: one row per export, kept in the transaction that appends its events (a client reads
 * its own write). A cancellation or expiry also voids every unused download link of the export.
 */
export function exportReadModelProjection(schema: string): InlineProjection {
  const s = quoteSchema(schema);
  return {
    name: 'export-read-model',
    handles: HANDLED,
    async apply(events: readonly EventEnvelope[], manager) {
      for (const event of events) {
        const type = event.type as ExportEvent['type'];
        const at = event.occurredAt;
        const set = (id: string, assignments: string, values: unknown[]) =>
          manager.query(`UPDATE ${s}.exports SET ${assignments}, updated_at = $2 WHERE export_id = $1`, [id, at, ...values]);
        switch (type) {
          case 'ExportRequested': {
            const d = event.data as ExportRequestedData;
            await manager.query(
              `INSERT INTO ${s}.exports (export_id, requester_id, team_id, status, format, fields, clear_fields, filter,
                 reason, estimated_rows, rows_total, created_at, updated_at)
               VALUES ($1, $2, $3, 'queued', $4, $5, $6, $7, $8, $9, $9, $10, $10)`,
              [d.exportId, d.requesterId, d.teamId, d.format, JSON.stringify(d.fields), JSON.stringify(d.clearFields),
                JSON.stringify(d.filter), d.reason, d.estimatedRows, at],
            );
            break;
          }
          case 'ExportApprovalRequired': {
            const d = event.data as ExportApprovalRequiredData;
            await set(d.exportId, `status = 'pending_approval', approval_reasons = $3, approval_expires_at = $4`, [
              JSON.stringify(d.reasons),
              d.expiresAt,
            ]);
            break;
          }
          case 'ExportApproved':
          case 'ExportRejected': {
            const d = event.data as ExportApprovedData | ExportRejectedData;
            await set(d.exportId, `status = $3, approver_id = $4, decision_comment = $5, decided_at = $2`, [
              type === 'ExportApproved' ? 'queued' : 'rejected',
              d.approverId,
              d.comment,
            ]);
            break;
          }
          case 'ExportStarted': {
            const d = event.data as ExportStartedData;
            await set(d.exportId, `status = 'running', attempt = $3, rows_done = 0, started_at = $2`, [d.attempt]);
            break;
          }
          case 'ExportProgressed': {
            const d = event.data as ExportProgressedData;
            await set(d.exportId, `rows_done = $3, rows_total = $4`, [d.rowsDone, d.rowsTotal]);
            break;
          }
          case 'ExportCompleted': {
            const d = event.data as ExportCompletedData;
            await set(
              d.exportId,
              `status = 'completed', row_count = $3, rows_done = $3, rows_total = $3, bytes = $4, fingerprint_id = $5,
               sha256 = $6, completed_at = $2`,
              [d.rowCount, d.bytes, d.fingerprintId, d.sha256],
            );
            break;
          }
          case 'ExportFailed': {
            const d = event.data as ExportFailedData;
            await set(d.exportId, `status = 'failed', error = $3`, [d.error]);
            break;
          }
          case 'ExportDownloaded': {
            const d = event.data as ExportDownloadedData;
            await set(d.exportId, `status = 'downloaded', downloaded_at = $2`, []);
            break;
          }
          case 'ExportCancelled': {
            const d = event.data as ExportCancelledData;
            await set(d.exportId, `status = 'cancelled', cancelled_at = $2, cancelled_by = $3`, [d.cancelledBy]);
            await manager.query(`UPDATE ${s}.download_links SET revoked_at = $2 WHERE export_id = $1 AND used_at IS NULL`, [
              d.exportId,
              at,
            ]);
            break;
          }
          case 'ExportExpired': {
            const d = event.data as ExportExpiredData;
            await set(d.exportId, `status = 'expired', expired_stage = $3`, [d.stage]);
            await manager.query(`UPDATE ${s}.download_links SET revoked_at = $2 WHERE export_id = $1 AND used_at IS NULL`, [
              d.exportId,
              at,
            ]);
            break;
          }
          default: {
            const unknown: never = type;
            throw new Error(`export-read-model: unhandled event ${String(unknown)}`);
          }
        }
      }
    },
  };
}

export function exportReadModelMigrations(schema: string): Array<new () => MigrationInterface> {
  const s = quoteSchema(schema);
  class ExportReadModel1765000000000 implements MigrationInterface {
    name = 'ExportReadModel1765000000000';
    async up(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.query(`
        CREATE TABLE ${s}.exports (
          export_id uuid PRIMARY KEY,
          requester_id text NOT NULL,
          team_id text,
          status text NOT NULL,
          format text NOT NULL,
          fields jsonb NOT NULL,
          clear_fields jsonb NOT NULL,
          filter jsonb NOT NULL,
          reason text NOT NULL,
          estimated_rows integer NOT NULL,
          approval_reasons jsonb NOT NULL DEFAULT '[]',
          approval_expires_at timestamptz,
          approver_id text,
          decision_comment text,
          decided_at timestamptz,
          attempt integer NOT NULL DEFAULT 0,
          rows_done integer NOT NULL DEFAULT 0,
          rows_total integer NOT NULL DEFAULT 0,
          row_count integer,
          bytes bigint,
          fingerprint_id text,
          sha256 text,
          error text,
          expired_stage text,
          cancelled_by text,
          created_at timestamptz NOT NULL,
          updated_at timestamptz NOT NULL,
          started_at timestamptz,
          completed_at timestamptz,
          downloaded_at timestamptz,
          cancelled_at timestamptz,
          lease_until timestamptz,
          file_deleted_at timestamptz
        )`);
      await queryRunner.query(`CREATE INDEX exports_requester ON ${s}.exports (requester_id, created_at)`);
      await queryRunner.query(`CREATE INDEX exports_status ON ${s}.exports (status)`);
      await queryRunner.query(`CREATE UNIQUE INDEX exports_fingerprint ON ${s}.exports (fingerprint_id)`);
      // The data key of each generation attempt, wrapped by the KEK (never in an event).
      await queryRunner.query(`
        CREATE TABLE ${s}.export_files (
          export_id uuid NOT NULL,
          attempt integer NOT NULL,
          kek_version integer NOT NULL,
          wrapped_key text NOT NULL,
          created_at timestamptz NOT NULL DEFAULT now(),
          PRIMARY KEY (export_id, attempt)
        )`);
      // The plain filter of each request, sealed (its sensitive values never stand in clear in a table).
      await queryRunner.query(`
        CREATE TABLE ${s}.export_filters (
          export_id uuid PRIMARY KEY,
          kek_version integer NOT NULL,
          wrapped_key text NOT NULL,
          payload text NOT NULL
        )`);
      // One-time links: only the SHA-256 of the token is stored.
      await queryRunner.query(`
        CREATE TABLE ${s}.download_links (
          token_hash text PRIMARY KEY,
          export_id uuid NOT NULL,
          requester_id text NOT NULL,
          expires_at timestamptz NOT NULL,
          created_at timestamptz NOT NULL DEFAULT now(),
          used_at timestamptz,
          revoked_at timestamptz
        )`);
      await queryRunner.query(`CREATE INDEX download_links_export ON ${s}.download_links (export_id)`);
      // The directory, fed by the authorization and alert topics.
      await queryRunner.query(`
        CREATE TABLE ${s}.directory_users (
          user_id text PRIMARY KEY,
          status text NOT NULL,
          team_id text,
          manager_id text,
          updated_at timestamptz NOT NULL DEFAULT now()
        )`);
      await queryRunner.query(`
        CREATE TABLE ${s}.directory_teams (
          team_id text PRIMARY KEY,
          parent_id text,
          supervisor_id text
        )`);
      await queryRunner.query(`
        CREATE TABLE ${s}.open_alerts (
          alert_id uuid PRIMARY KEY,
          user_id text NOT NULL,
          rule text NOT NULL,
          raised_at timestamptz NOT NULL
        )`);
      await queryRunner.query(`CREATE INDEX open_alerts_user ON ${s}.open_alerts (user_id)`);
      // Per-team approval settings set through the admin API (over the config's).
      await queryRunner.query(`
        CREATE TABLE ${s}.team_policies (
          team_id text PRIMARY KEY,
          settings jsonb NOT NULL,
          updated_by text NOT NULL,
          updated_at timestamptz NOT NULL DEFAULT now()
        )`);
    }
    async down(queryRunner: QueryRunner): Promise<void> {
      for (const table of ['export_filters', 'team_policies', 'open_alerts', 'directory_teams', 'directory_users', 'download_links', 'export_files', 'exports']) {
        await queryRunner.query(`DROP TABLE ${s}.${table}`);
      }
    }
  }
  /** The directory keeps each user's name, so that an approver sees who asked (not only an id). */
  class ExportDirectoryNames1766500000000 implements MigrationInterface {
    name = 'ExportDirectoryNames1766500000000';
    async up(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.query(`ALTER TABLE ${s}.directory_users ADD COLUMN username text, ADD COLUMN display_name text`);
    }
    async down(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.query(`ALTER TABLE ${s}.directory_users DROP COLUMN username, DROP COLUMN display_name`);
    }
  }
  return [ExportReadModel1765000000000, ExportDirectoryNames1766500000000];
}
