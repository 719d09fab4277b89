/**
 * Password rules (NIST SP 800-63B style: length over composition rules): at least 12 characters,
 * at most 256, not the user name, not a well-known password. Returns the broken rule, or null.
 */
export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 256;

/** A small built-in list of the most common passwords of 12+ characters (lower-cased). */
const COMMON_PASSWORDS = new Set([
  '123456789012',
  '1234567890123',
  '12345678910111213',
  'qwertyuiop12',
  'qwertyuiopasdf',
  'qwertyuiopasdfghjkl',
  'password1234',
  'password12345',
  'password123!',
  'passwordpassword',
  'iloveyou1234',
  'administrator',
  'administrator1',
  'letmein12345',
  'welcome12345',
  'changeme1234',
  'trustno11234',
  'football1234',
  'baseball1234',
  'superman1234',
  'aaaaaaaaaaaa',
  '111111111111',
  '000000000000',
  'abcdefghijkl',
  'abc123abc123',
  'p@ssw0rd1234',
  'p@ssword1234',
  'correcthorsebatterystaple',
]);

export function passwordProblem(password: string, username: string): string | null {
  if ([...password].length < PASSWORD_MIN_LENGTH) return `password must have at least ${PASSWORD_MIN_LENGTH} characters`;
  if (password.length > PASSWORD_MAX_LENGTH) return `password must have at most ${PASSWORD_MAX_LENGTH} characters`;
  const lower = password.toLowerCase();
  const name = username.toLowerCase();
  if (lower === name || (name.length >= 4 && lower.includes(name))) {
    return 'password must not contain the user name';
  }
  if (COMMON_PASSWORDS.has(lower)) return 'password is too common';
  return null;
}
