import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import type { KeyProvider } from '@warden/crypto';
import { quoteSchema, EventStore } from '@warden/event-store';
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { DataSource } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import type { AuthorizationConfig } from '../core/config';
import { AUTH_CONFIG, KEK_PROVIDER } from '../core/tokens';

export type PublicJwk = { kty: 'OKP'; crv: 'Ed25519'; x: string; kid: string; alg: 'EdDSA'; use: 'sig' };

type KeyRow = {
  kid: string;
  public_jwk: PublicJwk;
  private_wrapped: string;
  kek_version: number;
  status: 'current' | 'retired';
  retired_at: Date | null;
};

/**
 * PKCS#8 DER of an Ed25519 private key is this fixed 16-byte header and the 32-byte seed (RFC 8410).
 * The KEK provider wraps 32-byte keys, so the seed is what is wrapped; the PKCS#8 is rebuilt from it.
 */
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

export const seedOf = (privateKey: KeyObject): Buffer => {
  const der = privateKey.export({ format: 'der', type: 'pkcs8' });
  if (der.length !== 48 || !der.subarray(0, 16).equals(ED25519_PKCS8_PREFIX)) throw new Error('not an Ed25519 PKCS#8 key');
  return der.subarray(16);
};

export const privateKeyFromSeed = (seed: Buffer): KeyObject =>
  createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });

/** Step-up proofs and service tokens (5 minutes): a retired key stays published at least this long. */
const LONGEST_SHORT_TOKEN_SECONDS = 300;

/** How often the key set is re-read, so that a rotation on another instance is picked up. */
const REFRESH_MS = 30_000;

/**
 * The JWT signing keys: created at first boot, rotated on demand. The current key signs; every key
 * retired less than an access-token lifetime ago stays in the JWKS so that its tokens still verify.
 */
@Injectable()
export class SigningKeyService implements OnModuleInit {
  private readonly logger = new Logger('SigningKeyService');
  private current: { kid: string; key: KeyObject } | null = null;
  private published: PublicJwk[] = [];
  private loadedAt = 0;

  constructor(
    private readonly dataSource: DataSource,
    private readonly store: EventStore,
    @Inject(KEK_PROVIDER) private readonly keks: KeyProvider,
    @Inject(AUTH_CONFIG) private readonly config: AuthorizationConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      // One instance creates the first key; the others wait here and then see it.
      await manager.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`${this.store.schema}.signing_keys`]);
      const rows: unknown[] = await manager.query(`SELECT 1 FROM ${this.s}.signing_keys WHERE status = 'current'`);
      if (rows.length === 0) {
        const kid = await this.insertKey(manager.query.bind(manager));
        this.logger.log({ kid }, 'created the first signing key');
      }
    });
    await this.load();
  }

  /** A new current key; the previous one is retired and stays published until its tokens expire. */
  async rotate(): Promise<{ kid: string }> {
    const kid = await this.dataSource.transaction(async (manager) => {
      await manager.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`${this.store.schema}.signing_keys`]);
      await manager.query(`UPDATE ${this.s}.signing_keys SET status = 'retired', retired_at = now() WHERE status = 'current'`);
      return this.insertKey(manager.query.bind(manager));
    });
    await this.load();
    this.logger.log({ kid }, 'rotated the signing key');
    return { kid };
  }

  async signingKey(): Promise<{ kid: string; key: KeyObject }> {
    await this.loadIfStale();
    if (!this.current) throw new Error('no current signing key');
    return this.current;
  }

  /** The public keys of the JWKS: the current key and those retired less than a token lifetime ago. */
  async publicKeys(): Promise<PublicJwk[]> {
    await this.loadIfStale();
    return this.published;
  }

  private async loadIfStale(): Promise<void> {
    if (Date.now() - this.loadedAt > REFRESH_MS) await this.load();
  }

  private async load(): Promise<void> {
    const rows: KeyRow[] = await this.dataSource.query(
      `SELECT kid, public_jwk, private_wrapped, kek_version, status, retired_at FROM ${this.s}.signing_keys
       WHERE status = 'current' OR retired_at > now() - make_interval(secs => $1)
       ORDER BY created_at DESC`,
      // Tokens it signed live ACCESS_TOKEN_TTL_SECONDS; step-up proofs and service tokens 5 minutes.
      [Math.max(this.config.ACCESS_TOKEN_TTL_SECONDS, LONGEST_SHORT_TOKEN_SECONDS) + 60],
    );
    const current = rows.find((row) => row.status === 'current');
    if (!current) throw new Error('no current signing key');
    if (this.current?.kid !== current.kid) {
      let seed: Buffer;
      try {
        seed = await this.keks.unwrap({ kekVersion: current.kek_version, ciphertext: current.private_wrapped });
      } catch (error) {
        throw new Error(
          `signing key ${current.kid} cannot be unwrapped with WARDEN_KEKS (KEK version ${current.kek_version}): ` +
            `was the keyring changed? (${(error as Error).message})`,
        );
      }
      this.current = { kid: current.kid, key: privateKeyFromSeed(seed) };
    }
    this.published = rows.map((row) => row.public_jwk);
    this.loadedAt = Date.now();
  }

  private async insertKey(query: (sql: string, params: unknown[]) => Promise<unknown>): Promise<string> {
    const { privateKey } = generateKeyPairSync('ed25519');
    const kid = uuidv7();
    const { x } = createPublicKey(privateKey).export({ format: 'jwk' });
    const jwk: PublicJwk = { kty: 'OKP', crv: 'Ed25519', x: String(x), kid, alg: 'EdDSA', use: 'sig' };
    const wrapped = await this.keks.wrap(seedOf(privateKey));
    await query(
      `INSERT INTO ${this.s}.signing_keys (kid, algorithm, public_jwk, private_wrapped, kek_version, status, created_at)
       VALUES ($1, 'EdDSA', $2, $3, $4, 'current', now())`,
      [kid, JSON.stringify(jwk), wrapped.ciphertext, wrapped.kekVersion],
    );
    return kid;
  }

  private get s(): string {
    return quoteSchema(this.store.schema);
  }
}
