import type { EventEnvelope, LoginSucceededData, SessionRevokedData } from '@warden/contracts';
import { quoteSchema, type InlineProjection } from '@warden/event-store';
import type { MigrationInterface, QueryRunner } from 'typeorm';

/** `sessions`: one row per login, with where it came from; revoked by SessionRevoked (one, or all of a user). */
export function sessionReadModelProjection(schema: string): InlineProjection {
  const s = quoteSchema(schema);
  return {
    name: 'session-read-model',
    handles: ['LoginSucceeded', 'TokenRefreshed', 'SessionRevoked'],
    async apply(events: readonly EventEnvelope[], manager) {
      for (const event of events) {
        if (event.type === 'LoginSucceeded') {
          const d = event.data as LoginSucceededData;
          await manager.query(
            `INSERT INTO ${s}.sessions (id, user_id, device_id, ip, user_agent, country, city, asn, asn_org, mfa, status,
               created_at, last_used_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'active', $11, $11)`,
            [d.sessionId, d.userId, event.actor.deviceId, event.actor.ip, event.actor.userAgent, d.geo?.country ?? null,
              d.geo?.city ?? null, d.geo?.asn ?? null, d.geo?.asnOrg ?? null, d.mfa, event.occurredAt],
          );
        } else if (event.type === 'TokenRefreshed') {
          await manager.query(`UPDATE ${s}.sessions SET last_used_at = $2 WHERE id = $1`, [
            (event.data as { sessionId: string }).sessionId,
            event.occurredAt,
          ]);
        } else if (event.type === 'SessionRevoked') {
          const d = event.data as SessionRevokedData;
          await manager.query(
            `UPDATE ${s}.sessions SET status = 'revoked', revoked_at = $3, revoke_reason = $4
             WHERE user_id = $1 AND status = 'active' AND ($2::uuid IS NULL OR id = $2::uuid)`,
            [d.userId, d.sessionId, event.occurredAt, d.reason],
          );
        }
      }
    },
  };
}

/**
 * `sessions` (read model) and `refresh_tokens`: SHA-256 of each refresh token of a session (its
 * family), written by the service in the transaction of the session's event; tokens are never stored.
 */
export function sessionReadModelMigrations(schema: string): Array<new () => MigrationInterface> {
  const s = quoteSchema(schema);
  class SessionReadModel1764400200000 implements MigrationInterface {
    name = 'SessionReadModel1764400200000';
    async up(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.query(`
        CREATE TABLE ${s}.sessions (
          id uuid PRIMARY KEY,
          user_id uuid NOT NULL,
          device_id text,
          ip text,
          user_agent text,
          country text,
          city text,
          mfa boolean NOT NULL,
          status text NOT NULL,
          created_at timestamptz NOT NULL,
          last_used_at timestamptz NOT NULL,
          revoked_at timestamptz,
          revoke_reason text
        )`);
      await queryRunner.query(`CREATE INDEX sessions_user ON ${s}.sessions (user_id, created_at DESC)`);
      await queryRunner.query(`
        CREATE TABLE ${s}.refresh_tokens (
          token_hash text PRIMARY KEY,
          session_id uuid NOT NULL,
          user_id uuid NOT NULL,
          status text NOT NULL CHECK (status IN ('active', 'rotated', 'revoked')),
          created_at timestamptz NOT NULL,
          expires_at timestamptz NOT NULL,
          used_at timestamptz
        )`);
      await queryRunner.query(`CREATE INDEX refresh_tokens_session ON ${s}.refresh_tokens (session_id)`);
      await queryRunner.query(`CREATE INDEX refresh_tokens_user ON ${s}.refresh_tokens (user_id) WHERE status = 'active'`);
    }
    async down(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.query(`DROP TABLE ${s}.refresh_tokens`);
      await queryRunner.query(`DROP TABLE ${s}.sessions`);
    }
  }
  /** The autonomous system of the session's address (null for sessions recorded before). */
  class SessionAsn1765000000000 implements MigrationInterface {
    name = 'SessionAsn1765000000000';
    async up(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.query(`ALTER TABLE ${s}.sessions ADD COLUMN asn bigint, ADD COLUMN asn_org text`);
    }
    async down(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.query(`ALTER TABLE ${s}.sessions DROP COLUMN asn, DROP COLUMN asn_org`);
    }
  }
  return [SessionReadModel1764400200000, SessionAsn1765000000000];
}
