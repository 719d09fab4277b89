import { InvalidTokenError, JwtVerifier, type Principal } from '@warden/security';

/** The audience of step-up proofs: a short-lived token the authorization service signs after a fresh TOTP. */
export const STEP_UP_AUDIENCE = 'warden-step-up';
/** How recent a step-up must be to approve clear sensitive fields (seconds). */
export const STEP_UP_MAX_AGE_SECONDS = 300;

/**
 * Checks a step-up proof: a JWT signed with the authorization service's keys (same JWKS, issuer)
 * for the audience `warden-step-up`, issued to the approver in the approver's current session no
 * more than 5 minutes ago. The authorization service is to issue it from
 * `POST /v1/auth/step-up {totp}` → `{stepUpToken, expiresIn}` (not built yet: until it exists no
 * clear-sensitive export can be approved, which is the safe side).
 */
export class StepUpVerifier {
  private readonly verifier: JwtVerifier;

  constructor(
    options: { jwksUrl: string; issuer: string },
    private readonly now: () => number = Date.now,
  ) {
    this.verifier = new JwtVerifier({ jwksUrl: options.jwksUrl, issuer: options.issuer, audience: STEP_UP_AUDIENCE });
  }

  /** True when `proof` is a fresh step-up of `approver`; false for anything else (never throws on a bad proof). */
  async verify(proof: string | undefined, approver: Principal): Promise<boolean> {
    if (!proof) return false;
    try {
      const stepUp = await this.verifier.verify(proof);
      const age = Math.floor(this.now() / 1000) - stepUp.issuedAt;
      return stepUp.userId === approver.userId && stepUp.sessionId === approver.sessionId && age <= STEP_UP_MAX_AGE_SECONDS && age >= -30;
    } catch (error) {
      if (error instanceof InvalidTokenError) return false;
      throw error;
    }
  }
}
