import { mfaStep } from './mfa-requirement.util';
import { hashRecoveryCode, matchRecoveryCode, newRecoveryCode, normalizeRecoveryCode, RECOVERY_CODE_PATTERN } from './recovery-code.util';

describe('mfaStep', () => {
  describe('when no authenticator is enrolled', () => {
    it('issues tokens if no role requires MFA', () => {
      expect(mfaStep({ requiredByRole: false, enrolled: false, code: undefined })).toEqual({ kind: 'none' });
    });

    it('asks for enrolment if a role requires MFA, whatever code was sent', () => {
      expect(mfaStep({ requiredByRole: true, enrolled: false, code: undefined })).toEqual({ kind: 'enrollment-required' });
      expect(mfaStep({ requiredByRole: true, enrolled: false, code: '123456' })).toEqual({ kind: 'enrollment-required' });
    });
  });

  describe('when an authenticator is enrolled', () => {
    it.each([true, false])('needs a code (required by a role: %s)', (requiredByRole) => {
      expect(mfaStep({ requiredByRole, enrolled: true, code: undefined })).toEqual({ kind: 'code-missing' });
    });

    it('checks six digits as a TOTP code', () => {
      expect(mfaStep({ requiredByRole: true, enrolled: true, code: '012345' })).toEqual({ kind: 'totp', code: '012345' });
    });

    it('checks a recovery code as one, with or without dashes', () => {
      expect(mfaStep({ requiredByRole: true, enrolled: true, code: 'abcd-efgh-ijkl-mn23' })).toEqual({ kind: 'recovery-code', code: 'abcd-efgh-ijkl-mn23' });
      expect(mfaStep({ requiredByRole: false, enrolled: true, code: 'ABCDEFGHIJKLMN23' })).toEqual({ kind: 'recovery-code', code: 'ABCDEFGHIJKLMN23' });
    });
  });
});

describe('recovery codes', () => {
  it('are 80 random bits written as four groups of four base32 characters', () => {
    const code = newRecoveryCode(() => Buffer.alloc(10, 0xff));
    expect(code).toBe('7777-7777-7777-7777');
    expect(newRecoveryCode()).toMatch(RECOVERY_CODE_PATTERN);
    expect(newRecoveryCode()).not.toBe(newRecoveryCode());
  });

  it('are stored as a salted SHA-256 that never contains the code, a new salt each time', () => {
    const code = newRecoveryCode();
    const a = hashRecoveryCode(code);
    const b = hashRecoveryCode(code);
    expect(a.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(a.salt).not.toBe(b.salt);
    expect(a.hash).not.toBe(b.hash);
    expect(a.hash).not.toContain(normalizeRecoveryCode(code));
  });

  it('match the stored code they were made from, in any case and without dashes, and nothing else', () => {
    const codes = [newRecoveryCode(), newRecoveryCode(), newRecoveryCode()];
    const stored = codes.map((code) => hashRecoveryCode(code));
    expect(matchRecoveryCode(codes[1], stored)).toBe(1);
    expect(matchRecoveryCode(codes[2].toUpperCase().replace(/-/g, ''), stored)).toBe(2);
    expect(matchRecoveryCode(newRecoveryCode(), stored)).toBe(-1);
    expect(matchRecoveryCode(codes[0], [])).toBe(-1);
  });
});
