import { Inject, Injectable } from '@nestjs/common';
import { EventStore, quoteSchema } from '@warden/event-store';
import { NotFoundError } from '@warden/platform';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { DataSource } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import type { AuthorizationConfig } from '../core/config';
import { AUTH_CONFIG } from '../core/tokens';

export type ScimTokenView = { id: string; name: string; createdBy: string; createdAt: string; lastUsedAt: string | null; revokedAt: string | null };
export type IssuedScimToken = ScimTokenView & { token: string };

type TokenRow = { id: string; name: string; created_by: string; created_at: Date; last_used_at: Date | null; revoked_at: Date | null };

const sha256 = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

/** Who is calling a SCIM endpoint: a token issued by an admin, or the one from the environment. */
export type ScimCaller = { tokenId: string | 'env' };

/**
 * SCIM bearer tokens. An issued token is `wscim_` + 32 random bytes (base64url), shown once; only
 * its SHA-256 is stored (a high-entropy secret needs no slow hash). `WARDEN_SCIM_TOKEN` (config), when
 * set, is accepted too, its digest compared in constant time.
 */
@Injectable()
export class ScimTokenService {
  private readonly envTokenHash: Buffer | null;

  constructor(
    private readonly store: EventStore,
    private readonly dataSource: DataSource,
    @Inject(AUTH_CONFIG) config: AuthorizationConfig,
  ) {
    this.envTokenHash = config.WARDEN_SCIM_TOKEN ? sha256(config.WARDEN_SCIM_TOKEN) : null;
  }

  async issue(name: string, createdBy: string, now: Date): Promise<IssuedScimToken> {
    const token = `wscim_${randomBytes(32).toString('base64url')}`;
    const id = uuidv7();
    await this.dataSource.query(
      `INSERT INTO ${this.s}.scim_tokens (id, name, token_hash, created_by, created_at) VALUES ($1, $2, $3, $4, $5)`,
      [id, name, sha256(token), createdBy, now],
    );
    return { id, name, createdBy, createdAt: now.toISOString(), lastUsedAt: null, revokedAt: null, token };
  }

  async list(): Promise<ScimTokenView[]> {
    const rows: TokenRow[] = await this.dataSource.query(
      `SELECT id, name, created_by, created_at, last_used_at, revoked_at FROM ${this.s}.scim_tokens ORDER BY id`,
    );
    return rows.map(toView);
  }

  async revoke(id: string, now: Date): Promise<void> {
    // TypeORM answers an UPDATE with [rows, affected count], not with the rows.
    const [rows]: [unknown[], number] = await this.dataSource.query(
      `UPDATE ${this.s}.scim_tokens SET revoked_at = coalesce(revoked_at, $2) WHERE id = $1 RETURNING id`,
      [id, now],
    );
    if (rows.length === 0) throw new NotFoundError(`SCIM token ${id} not found`);
  }

  /** The caller a presented token identifies, or null. */
  async verify(token: string): Promise<ScimCaller | null> {
    if (token.length === 0 || token.length > 200) return null;
    const hash = sha256(token);
    if (this.envTokenHash && timingSafeEqual(hash, this.envTokenHash)) return { tokenId: 'env' };
    // Looked up by the hash of a 256-bit secret: the lookup's timing reveals nothing usable.
    // TypeORM answers an UPDATE with [rows, affected count]: the rows are the first element (taking the
    // pair for the rows would let any token in).
    const [rows]: [Array<{ id: string }>, number] = await this.dataSource.query(
      `UPDATE ${this.s}.scim_tokens SET last_used_at = now() WHERE token_hash = $1 AND revoked_at IS NULL RETURNING id`,
      [hash],
    );
    return rows[0] ? { tokenId: rows[0].id } : null;
  }

  private get s(): string {
    return quoteSchema(this.store.schema);
  }
}

function toView(row: TokenRow): ScimTokenView {
  return {
    id: row.id,
    name: row.name,
    createdBy: row.created_by,
    createdAt: row.created_at.toISOString(),
    lastUsedAt: row.last_used_at?.toISOString() ?? null,
    revokedAt: row.revoked_at?.toISOString() ?? null,
  };
}
