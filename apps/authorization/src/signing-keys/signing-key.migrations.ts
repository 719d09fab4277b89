import { quoteSchema } from '@warden/event-store';
import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `signing_keys`: the Ed25519 keys that sign access tokens. The private key is stored only
 * wrapped by the KEK keyring (`private_wrapped`, `kek_version`); `public_jwk` is served at the JWKS.
 * Not event-sourced: key material has no place in the event stream.
 */
export function signingKeyMigrations(schema: string): Array<new () => MigrationInterface> {
  const s = quoteSchema(schema);
  class SigningKeys1764400000000 implements MigrationInterface {
    name = 'SigningKeys1764400000000';
    async up(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.query(`
        CREATE TABLE ${s}.signing_keys (
          kid text PRIMARY KEY,
          algorithm text NOT NULL,
          public_jwk jsonb NOT NULL,
          private_wrapped text NOT NULL,
          kek_version integer NOT NULL,
          status text NOT NULL CHECK (status IN ('current', 'retired')),
          created_at timestamptz NOT NULL,
          retired_at timestamptz
        )`);
      // At most one current key, whatever the number of instances racing at first boot.
      await queryRunner.query(`CREATE UNIQUE INDEX signing_keys_one_current ON ${s}.signing_keys (status) WHERE status = 'current'`);
    }
    async down(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.query(`DROP TABLE ${s}.signing_keys`);
    }
  }
  return [SigningKeys1764400000000];
}
