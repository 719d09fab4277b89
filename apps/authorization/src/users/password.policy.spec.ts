import { maskEmail } from './email-mask.util';
import { passwordProblem } from './password.policy';

describe('password policy', () => {
  it('accepts a long, uncommon password', () => {
    expect(passwordProblem('plum-kettle-orbit-42', 'ada.lovelace')).toBeNull();
  });

  it.each([
    ['short-pass', 'ada', 'password must have at least 12 characters'],
    ['ada.lovelace', 'ada.lovelace', 'password must not contain the user name'],
    ['xxAda.Lovelace99', 'ada.lovelace', 'password must not contain the user name'],
    ['Password1234', 'ada', 'password is too common'],
    ['x'.repeat(257), 'ada', 'password must have at most 256 characters'],
  ])('refuses %s for %s: %s', (password, username, rule) => {
    expect(passwordProblem(password, username)).toBe(rule);
  });
});

describe('maskEmail', () => {
  it('keeps the first character and the domain only', () => {
    expect(maskEmail('zoe.martin@example.com')).toBe('z***@example.com');
  });

  it('masks a one-letter local part entirely', () => {
    expect(maskEmail('z@example.com')).toBe('z***@example.com');
  });
});
