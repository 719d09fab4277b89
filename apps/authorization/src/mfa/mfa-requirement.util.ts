import { RECOVERY_CODE_PATTERN } from './recovery-code.util';

/** What the second-factor part of a login needs, the password being right. */
export type MfaStep =
  /** Neither required by a role nor enrolled: tokens are issued. */
  | { kind: 'none' }
  /** A role requires MFA and none is enrolled: an enrollment token instead of tokens. */
  | { kind: 'enrollment-required' }
  /** Enrolled, no code given: 401 MFA_REQUIRED. */
  | { kind: 'code-missing' }
  | { kind: 'totp'; code: string }
  | { kind: 'recovery-code'; code: string };

export type MfaStepInput = {
  /** Whether any of the user's roles has `mfaRequired` (roles read model). */
  requiredByRole: boolean;
  /** Whether the user has an active TOTP credential. */
  enrolled: boolean;
  /** What the login body's `totp` carried. */
  code: string | undefined;
};

/** Pure: the second-factor step of a login. An enrolled user always needs a code, required or not. */
export function mfaStep({ requiredByRole, enrolled, code }: MfaStepInput): MfaStep {
  if (!enrolled) return requiredByRole ? { kind: 'enrollment-required' } : { kind: 'none' };
  if (code === undefined) return { kind: 'code-missing' };
  if (/^\d{6}$/.test(code)) return { kind: 'totp', code };
  if (RECOVERY_CODE_PATTERN.test(code)) return { kind: 'recovery-code', code };
  return { kind: 'code-missing' };
}
