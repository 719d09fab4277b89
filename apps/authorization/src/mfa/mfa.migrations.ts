import { quoteSchema } from '@warden/event-store';
import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `mfa_credentials`: each user's TOTP secret (32 random bytes), stored only wrapped by the KEK
 * keyring; `pending` until the user proves a code, then `active`. `last_time_step` refuses a code
 * used twice.
 */
export function mfaMigrations(schema: string): Array<new () => MigrationInterface> {
  const s = quoteSchema(schema);
  class MfaCredentials1764400300000 implements MigrationInterface {
    name = 'MfaCredentials1764400300000';
    async up(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.query(`
        CREATE TABLE ${s}.mfa_credentials (
          user_id uuid PRIMARY KEY,
          secret_wrapped text NOT NULL,
          kek_version integer NOT NULL,
          status text NOT NULL CHECK (status IN ('pending', 'active')),
          last_time_step bigint,
          created_at timestamptz NOT NULL,
          confirmed_at timestamptz
        )`);
    }
    async down(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.query(`DROP TABLE ${s}.mfa_credentials`);
    }
  }
  /** Single-use recovery codes: a salted SHA-256 each (the code is shown once), `used_at` once spent. */
  class MfaRecoveryCodes1764900000000 implements MigrationInterface {
    name = 'MfaRecoveryCodes1764900000000';
    async up(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.query(`
        CREATE TABLE ${s}.mfa_recovery_codes (
          user_id uuid NOT NULL,
          position smallint NOT NULL,
          salt text NOT NULL,
          code_hash text NOT NULL,
          created_at timestamptz NOT NULL,
          used_at timestamptz,
          PRIMARY KEY (user_id, position)
        )`);
    }
    async down(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.query(`DROP TABLE ${s}.mfa_recovery_codes`);
    }
  }
  return [MfaCredentials1764400300000, MfaRecoveryCodes1764900000000];
}
