import { Injectable } from '@nestjs/common';
import type { SessionEvent } from '@warden/contracts';
import { EventStore, quoteSchema, type CommandMetadata } from '@warden/event-store';
import { RevocationStore } from '@warden/security';
import { DataSource, type EntityManager } from 'typeorm';
import type { SessionCommand } from './session.commands';
import { decide, evolve, initialSessionState } from './session.decider';
import type { SessionView } from './session.dto';

const sessionDecider = { initialState: initialSessionState, decide, evolve };

export const sessionStreamId = (sessionId: string): string => `session-${sessionId}`;
/** Where "every session of a user" revocations are recorded. */
export const userSessionsStreamId = (userId: string): string => `user-sessions-${userId}`;

type SessionRow = {
  id: string;
  user_id: string;
  device_id: string | null;
  ip: string | null;
  user_agent: string | null;
  country: string | null;
  city: string | null;
  /** bigint (AS numbers reach 2^32 - 1): node-postgres returns it as a string. */
  asn: string | null;
  asn_org: string | null;
  mfa: boolean;
  status: string;
  created_at: Date;
  last_used_at: Date;
  revoked_at: Date | null;
  revoke_reason: string | null;
};

/** Sessions (refresh-token families) and their revocation: rows, events and the Redis markers. */
@Injectable()
export class SessionService {
  constructor(
    private readonly store: EventStore,
    private readonly dataSource: DataSource,
    private readonly revocations: RevocationStore,
  ) {}

  /** Load → decide → append on the session's stream, in `manager`'s transaction. */
  async handle(sessionId: string, command: SessionCommand, metadata: CommandMetadata, manager: EntityManager): Promise<SessionEvent[]> {
    return (await this.store.handle(sessionStreamId(sessionId), sessionDecider, command, { metadata, manager })).events;
  }

  /** Ends one session: its refresh tokens die, its access tokens are refused from now on. */
  async revoke(sessionId: string, reason: string, metadata: CommandMetadata): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      await this.handle(sessionId, { type: 'RevokeSession', data: { sessionId, reason } }, metadata, manager);
      await manager.query(`UPDATE ${this.s}.refresh_tokens SET status = 'revoked' WHERE session_id = $1 AND status = 'active'`, [sessionId]);
    });
    await this.revocations.revokeSession(sessionId, metadata.now);
  }

  /** Ends every session of a user ("sign out everywhere", disable). */
  async revokeAll(userId: string, reason: string, metadata: CommandMetadata): Promise<void> {
    // The marker first: from this instant no token of the user passes, whatever follows.
    await this.revocations.revokeUser(userId, metadata.now);
    await this.dataSource.transaction((manager) => this.revokeAllRows(userId, reason, metadata, manager));
  }

  /**
   * Every session of the user, in `manager`'s transaction (a change that must not stand without it,
   * such as a role taken away): the user's revocation marker first — stamped now, so it also covers
   * a token issued while the request ran — then the rows and the event. The marker is not undone if
   * the transaction fails: the user only signs in again.
   */
  async revokeAllInTransaction(userId: string, reason: string, metadata: CommandMetadata, manager: EntityManager): Promise<number> {
    await this.revocations.revokeUser(userId, new Date(Math.max(Date.now(), metadata.now.getTime())));
    return this.revokeAllRows(userId, reason, metadata, manager);
  }

  /**
   * The rows and the event of "every session of the user", in `manager`'s transaction (the caller
   * wrote the user's revocation marker first). Returns how many sessions were active.
   */
  async revokeAllRows(userId: string, reason: string, metadata: CommandMetadata, manager: EntityManager): Promise<number> {
    const [{ count }]: Array<{ count: string }> = await manager.query(
      `SELECT count(*) AS count FROM ${this.s}.sessions WHERE user_id = $1 AND status = 'active'`,
      [userId],
    );
    await this.store.append(userSessionsStreamId(userId), [{ type: 'SessionRevoked', data: { userId, sessionId: null, reason } }], {
      expectedVersion: 'any',
      metadata,
      manager,
    });
    await manager.query(`UPDATE ${this.s}.refresh_tokens SET status = 'revoked' WHERE user_id = $1 AND status = 'active'`, [userId]);
    return Number(count);
  }

  async listForUser(userId: string): Promise<SessionView[]> {
    const rows: SessionRow[] = await this.dataSource.query(
      `SELECT * FROM ${this.s}.sessions WHERE user_id = $1 ORDER BY created_at DESC LIMIT 200`,
      [userId],
    );
    return rows.map(toView);
  }

  private get s(): string {
    return quoteSchema(this.store.schema);
  }
}

function toView(row: SessionRow): SessionView {
  return {
    id: row.id,
    userId: row.user_id,
    deviceId: row.device_id,
    ip: row.ip,
    userAgent: row.user_agent,
    geo: row.country || row.city || row.asn !== null ? { country: row.country, city: row.city, asn: row.asn === null ? null : Number(row.asn), asnOrg: row.asn_org } : null,
    mfa: row.mfa,
    status: row.status,
    createdAt: row.created_at.toISOString(),
    lastUsedAt: row.last_used_at.toISOString(),
    revokedAt: row.revoked_at?.toISOString() ?? null,
    revokeReason: row.revoke_reason,
  };
}
