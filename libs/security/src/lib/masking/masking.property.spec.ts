import fc from 'fast-check';
import { FULLY_MASKED, maskEmail, maskMobile, maskName, maskNationalId, maskValue } from './mask.util';

/** Property tests of masking: never throws, never reveals more than its format allows. */
describe('masking (properties)', () => {
  const anything = fc.oneof(
    fc.string(),
    fc.string({ unit: 'binary' }),
    fc.integer(),
    fc.constant(null),
    fc.object(),
    fc.boolean(),
  );
  const fields = fc.constantFrom(
    'mobile',
    'phone',
    'email',
    'nationalId',
    'name',
    'address',
    'company',
    'notes',
    'tags',
  );

  it('accepts any value for any field without throwing and returns a string', () => {
    fc.assert(
      fc.property(fields, anything, (field, value) => {
        expect(typeof maskValue(field, value)).toBe('string');
      }),
    );
  });

  it('a masked mobile keeps at most the first 3 and last 4 digits, and never the middle ones', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^\+?[0-9]{8,15}$/), (phone) => {
        const digits = phone.replace(/\D/g, '');
        const masked = maskMobile(phone);
        expect(masked).toBe(`${digits.slice(0, 3)}${'*'.repeat(digits.length - 7)}${digits.slice(-4)}`);
        expect(masked.replace(/\*/g, '').length).toBe(7);
      }),
    );
  });

  it('a masked national id shows no more than 10 of its characters, and masks at least one', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9A-Za-z]{11,24}$/), (id) => {
        const masked = maskNationalId(id);
        expect(masked.length).toBe(id.length);
        expect(masked.replace(/\*/g, '').length).toBe(10);
        expect(masked.slice(6, -4)).toMatch(/^\*+$/);
      }),
    );
  });

  it('a masked e-mail keeps only the first character of the local part', () => {
    fc.assert(
      fc.property(fc.emailAddress(), (email) => {
        const masked = maskEmail(email);
        const at = email.lastIndexOf('@');
        const local = email.slice(0, at);
        if (local.length > 1) expect(masked.startsWith(local)).toBe(false);
        expect(masked.endsWith(`***@${email.slice(at + 1)}`)).toBe(true);
      }),
    );
  });

  it('a one-word name longer than one character shows at most its first character', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 2, maxLength: 20 }).filter((s) => !/\s/u.test(s) && s.trim() === s),
        (name) => {
          const masked = maskName(name);
          if (masked === FULLY_MASKED) return;
          const [first, ...rest] = [...masked];
          expect(first).toBe([...name][0]);
          expect(rest.length).toBeGreaterThan(0);
          expect(rest.every((c) => c === '*')).toBe(true);
          // Whole only when every hidden character was a star already (`!*`): nothing is revealed.
          if ([...name].slice(1).some((c) => c !== '*')) expect(masked).not.toBe(name);
        },
      ),
    );
  });

  it('masks a one-word name whose hidden characters are stars without revealing more', () => {
    expect(maskName('!*')).toBe('!*');
    expect(maskName('张*')).toBe('张*');
    expect(maskName('!a')).toBe('!*');
  });
});
