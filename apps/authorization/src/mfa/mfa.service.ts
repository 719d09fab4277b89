import { Inject, Injectable } from '@nestjs/common';
import type { KeyProvider } from '@warden/crypto';
import type { MfaEvent } from '@warden/contracts';
import { EventStore, quoteSchema, type CommandMetadata } from '@warden/event-store';
import { REDIS } from '@warden/platform';
import type Redis from 'ioredis';
import { createHash, randomBytes } from 'node:crypto';
import { generateURI, verify } from 'otplib';
import { DataSource, type EntityManager } from 'typeorm';
import type { AuthorizationConfig } from '../core/config';
import { AUTH_CONFIG, KEK_PROVIDER } from '../core/tokens';
import { UserService } from '../users/user.service';
import { base32 } from './base32.util';
import { MfaError, MfaErrorCode } from './mfa.exception';
import { hashRecoveryCode, matchRecoveryCode, newRecoveryCode, RECOVERY_CODE_COUNT } from './recovery-code.util';

type MfaRow = { secret_wrapped: string; kek_version: number; status: 'pending' | 'active'; last_time_step: string | null };

type RecoveryRow = { position: number; salt: string; code_hash: string };

/** Accept the previous and the next 30-second step as well (clock drift). */
const TOLERANCE_SECONDS = 30;

/** How long the enrollment token of a login that must enrol first stays valid. */
export const ENROLLMENT_TOKEN_TTL_SECONDS = 600;

const enrollmentKey = (token: string): string => `warden:auth:mfa-enrollment:${createHash('sha256').update(token).digest('hex')}`;

/**
 * TOTP (RFC 6238, SHA-1, 6 digits, 30 s) with otplib. Enrolment: `enroll` hands out a new secret
 * (pending), `activate` makes it active once the user proves a code and issues the recovery codes.
 * The secret is stored wrapped by the KEK keyring; neither it nor a recovery code appears in an
 * event or a log. Enrollment tokens (for users a role obliges to enrol before they get tokens) live
 * in Redis, stored as their SHA-256, bound to the user, for ENROLLMENT_TOKEN_TTL_SECONDS.
 */
@Injectable()
export class MfaService {
  constructor(
    private readonly store: EventStore,
    private readonly dataSource: DataSource,
    private readonly users: UserService,
    @Inject(KEK_PROVIDER) private readonly keks: KeyProvider,
    @Inject(AUTH_CONFIG) private readonly config: AuthorizationConfig,
    @Inject(REDIS) private readonly redis: Redis,
  ) {}

  /** A new enrollment token for the user (32 random bytes, base64url); only its hash is kept. */
  async issueEnrollmentToken(userId: string): Promise<string> {
    const token = randomBytes(32).toString('base64url');
    await this.redis.set(enrollmentKey(token), userId, 'EX', ENROLLMENT_TOKEN_TTL_SECONDS);
    return token;
  }

  /** The user an enrollment token belongs to; 401 INVALID_ENROLLMENT_TOKEN if unknown or expired. */
  async enrollmentTokenUser(token: string): Promise<string> {
    const userId = await this.redis.get(enrollmentKey(token));
    if (!userId) throw new MfaError(MfaErrorCode.InvalidEnrollmentToken, 'the enrollment token is invalid or expired; log in again');
    return userId;
  }

  async spendEnrollmentToken(token: string): Promise<void> {
    await this.redis.del(enrollmentKey(token));
  }

  async enroll(userId: string, username: string, now: Date): Promise<{ secret: string; otpauthUri: string }> {
    const raw = randomBytes(32);
    const wrapped = await this.keks.wrap(raw);
    const rows: unknown[] = await this.dataSource.query(
      `INSERT INTO ${this.s}.mfa_credentials (user_id, secret_wrapped, kek_version, status, created_at)
       VALUES ($1, $2, $3, 'pending', $4)
       ON CONFLICT (user_id) DO UPDATE SET secret_wrapped = $2, kek_version = $3, created_at = $4
         WHERE mfa_credentials.status = 'pending'
       RETURNING user_id`,
      [userId, wrapped.ciphertext, wrapped.kekVersion, now],
    );
    if (rows.length === 0) throw new MfaError(MfaErrorCode.AlreadyEnabled, 'two-factor authentication is already enabled');
    const secret = base32(raw);
    return { secret, otpauthUri: generateURI({ issuer: this.config.AUTH_ISSUER, label: username, secret }) };
  }

  /** Activates a pending secret with a valid code (records MfaEnabled); returns the new recovery codes, shown once. */
  async activate(userId: string, code: string, metadata: CommandMetadata): Promise<string[]> {
    return this.dataSource.transaction(async (manager) => {
      const [row]: MfaRow[] = await manager.query(
        `SELECT secret_wrapped, kek_version, status, last_time_step FROM ${this.s}.mfa_credentials WHERE user_id = $1 FOR UPDATE`,
        [userId],
      );
      if (!row) throw new MfaError(MfaErrorCode.NotEnrolled, 'start the enrolment first (POST /v1/auth/mfa/enroll)');
      if (row.status === 'active') throw new MfaError(MfaErrorCode.AlreadyEnabled, 'two-factor authentication is already enabled');
      const step = await this.check(row, code, metadata.now);
      if (step === null) throw new MfaError(MfaErrorCode.InvalidCode, 'the code is not valid');
      await manager.query(
        `UPDATE ${this.s}.mfa_credentials SET status = 'active', confirmed_at = $2, last_time_step = $3 WHERE user_id = $1`,
        [userId, metadata.now, step],
      );
      await this.users.enableMfa(userId, metadata, manager);
      return this.replaceRecoveryCodes(manager, userId, metadata);
    });
  }

  /** A new set of recovery codes (the old set is void), after a valid current TOTP code. */
  async regenerateRecoveryCodes(userId: string, code: string, metadata: CommandMetadata): Promise<string[] | null> {
    if (!(await this.verifyLogin(userId, code, metadata.now))) return null;
    return this.dataSource.transaction((manager) => this.replaceRecoveryCodes(manager, userId, metadata));
  }

  /** Spends a recovery code of the user if it is one of theirs and unused (MfaRecoveryCodeUsed). */
  async consumeRecoveryCode(userId: string, code: string, metadata: CommandMetadata): Promise<boolean> {
    return this.dataSource.transaction(async (manager) => {
      const rows: RecoveryRow[] = await manager.query(
        `SELECT position, salt, code_hash FROM ${this.s}.mfa_recovery_codes WHERE user_id = $1 AND used_at IS NULL ORDER BY position FOR UPDATE`,
        [userId],
      );
      const index = matchRecoveryCode(code, rows.map((row) => ({ salt: row.salt, hash: row.code_hash })));
      if (index === -1) return false;
      await manager.query(`UPDATE ${this.s}.mfa_recovery_codes SET used_at = $3 WHERE user_id = $1 AND position = $2`, [
        userId,
        rows[index].position,
        metadata.now,
      ]);
      await this.record(manager, userId, { type: 'MfaRecoveryCodeUsed', data: { userId, remaining: rows.length - 1 } }, metadata);
      return true;
    });
  }

  async isEnabled(userId: string): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(
      `SELECT 1 FROM ${this.s}.mfa_credentials WHERE user_id = $1 AND status = 'active'`,
      [userId],
    );
    return rows.length > 0;
  }

  /** Whether `code` is valid now and was not used before (a used code's step is remembered atomically). */
  async verifyLogin(userId: string, code: string, now: Date): Promise<boolean> {
    const [row]: MfaRow[] = await this.dataSource.query(
      `SELECT secret_wrapped, kek_version, status, last_time_step FROM ${this.s}.mfa_credentials WHERE user_id = $1 AND status = 'active'`,
      [userId],
    );
    if (!row) return false;
    const step = await this.check(row, code, now);
    if (step === null) return false;
    const updated: [unknown[], number] = await this.dataSource.query(
      `UPDATE ${this.s}.mfa_credentials SET last_time_step = $2
       WHERE user_id = $1 AND (last_time_step IS NULL OR last_time_step < $2)`,
      [userId, step],
    );
    return updated[1] === 1;
  }

  private async replaceRecoveryCodes(manager: EntityManager, userId: string, metadata: CommandMetadata): Promise<string[]> {
    const codes = Array.from({ length: RECOVERY_CODE_COUNT }, () => newRecoveryCode());
    await manager.query(`DELETE FROM ${this.s}.mfa_recovery_codes WHERE user_id = $1`, [userId]);
    for (const [position, code] of codes.entries()) {
      const { salt, hash } = hashRecoveryCode(code);
      await manager.query(
        `INSERT INTO ${this.s}.mfa_recovery_codes (user_id, position, salt, code_hash, created_at) VALUES ($1, $2, $3, $4, $5)`,
        [userId, position, salt, hash, metadata.now],
      );
    }
    await this.record(manager, userId, { type: 'MfaRecoveryCodesGenerated', data: { userId, count: codes.length } }, metadata);
    return codes;
  }

  /** Second-factor events of a user, on `mfa-<userId>` (appended in the caller's transaction). */
  private async record(manager: EntityManager, userId: string, event: MfaEvent, metadata: CommandMetadata): Promise<void> {
    await this.store.append(`mfa-${userId}`, [event], { expectedVersion: 'any', metadata, manager });
  }

  /** The time step of a valid code after the last one used, or null. */
  private async check(row: MfaRow, code: string, now: Date): Promise<number | null> {
    const raw = await this.keks.unwrap({ kekVersion: row.kek_version, ciphertext: row.secret_wrapped });
    const result = await verify({
      secret: base32(raw),
      token: code,
      epoch: Math.floor(now.getTime() / 1000),
      epochTolerance: TOLERANCE_SECONDS,
      ...(row.last_time_step !== null ? { afterTimeStep: Number(row.last_time_step) } : {}),
    }).catch(() => ({ valid: false as const }));
    return result.valid && 'timeStep' in result ? Number(result.timeStep) : null;
  }

  private get s(): string {
    return quoteSchema(this.store.schema);
  }
}
