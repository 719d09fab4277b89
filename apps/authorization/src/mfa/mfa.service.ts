import { Inject, Injectable } from '@nestjs/common';
import type { KeyProvider } from '@warden/crypto';
import { EventStore, quoteSchema, type CommandMetadata } from '@warden/event-store';
import { randomBytes } from 'node:crypto';
import { generateURI, verify } from 'otplib';
import { DataSource } from 'typeorm';
import type { AuthorizationConfig } from '../core/config';
import { AUTH_CONFIG, KEK_PROVIDER } from '../core/tokens';
import { UserService } from '../users/user.service';
import { base32 } from './base32.util';
import { MfaError, MfaErrorCode } from './mfa.exception';

type MfaRow = { secret_wrapped: string; kek_version: number; status: 'pending' | 'active'; last_time_step: string | null };

/** Accept the previous and the next 30-second step as well (clock drift). */
const TOLERANCE_SECONDS = 30;

/**
 * TOTP (RFC 6238, SHA-1, 6 digits, 30 s) with otplib. Enrolment: `enroll` hands out a new secret
 * (pending), `confirm` activates it once the user proves a code. The secret is stored wrapped by
 * the KEK keyring and never appears in an event or a log.
 */
@Injectable()
export class MfaService {
  constructor(
    private readonly store: EventStore,
    private readonly dataSource: DataSource,
    private readonly users: UserService,
    @Inject(KEK_PROVIDER) private readonly keks: KeyProvider,
    @Inject(AUTH_CONFIG) private readonly config: AuthorizationConfig,
  ) {}

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

  /** Activates a pending secret with a valid code (records MfaEnabled). */
  async confirm(userId: string, code: string, metadata: CommandMetadata): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
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
