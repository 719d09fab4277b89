import { Injectable, Optional } from '@nestjs/common';
import { Metrics } from '@warden/platform';
import * as argon2 from 'argon2';
import { Counter } from 'prom-client';

/**
 * argon2id with OWASP's baseline parameters (Password Storage Cheat Sheet): 19 MiB of memory
 * (memoryCost 19456 KiB), 2 iterations, parallelism 1. The parameters are stored in each hash,
 * so raising them later only affects new hashes.
 */
export const ARGON2_OPTIONS = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

@Injectable()
export class PasswordHasher {
  /** A hash of a random password, verified against when the user name is unknown so timing matches. */
  private readonly dummy = argon2.hash(crypto.randomUUID(), ARGON2_OPTIONS);
  /**
   * Every argon2 verification, whatever the hash (no label: it must not tell an unknown name from
   * a known one). Lets a test prove that an unknown user costs the same one verification.
   */
  private readonly verifications: Counter | null;

  constructor(@Optional() metrics?: Metrics) {
    this.verifications = metrics
      ? new Counter({ name: 'warden_password_verifications_total', help: 'argon2 password verifications (known and unknown users alike)', registers: [metrics.registry] })
      : null;
  }

  hash(password: string): Promise<string> {
    return argon2.hash(password, ARGON2_OPTIONS);
  }

  /** `hash` null: the user does not exist; the same work is done and the answer is false. */
  async verify(hash: string | null, password: string): Promise<boolean> {
    try {
      const against = hash ?? (await this.dummy);
      this.verifications?.inc();
      const ok = await argon2.verify(against, password);
      return hash !== null && ok;
    } catch {
      return false;
    }
  }
}
