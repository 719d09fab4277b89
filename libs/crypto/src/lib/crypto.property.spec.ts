import fc from 'fast-check';
import { normaliseIndexValue, BlindIndexer } from './blind-index';
import { decryptField, encryptField, generateDataKey } from './field-encryption';

/** Property tests of field encryption and blind-index normalisation. */
describe('field encryption (properties)', () => {
  const key = generateDataKey();
  const other = generateDataKey();
  const context = fc.record({
    subjectId: fc.uuid(),
    field: fc.constantFrom('mobile', 'email', 'nationalId', 'address', 'name', 'notes'),
  });

  it('decrypts to exactly what was encrypted, for any Unicode text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 500 }), context, (plaintext, ctx) => {
        expect(decryptField(key, encryptField(key, plaintext, ctx), ctx)).toBe(plaintext);
      }),
    );
  });

  it('never carries the plaintext, and two encryptions of one value differ', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 6, maxLength: 100 }), context, (plaintext, ctx) => {
        const a = encryptField(key, plaintext, ctx);
        const b = encryptField(key, plaintext, ctx);
        expect(a).not.toBe(b);
        expect(a.includes(plaintext)).toBe(false);
      }),
    );
  });

  it('refuses another key or another subject/field context', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 50 }), context, fc.uuid(), (plaintext, ctx, otherSubject) => {
        const token = encryptField(key, plaintext, ctx);
        expect(() => decryptField(other, token, ctx)).toThrow();
        fc.pre(otherSubject !== ctx.subjectId);
        expect(() => decryptField(key, token, { ...ctx, subjectId: otherSubject })).toThrow();
      }),
    );
  });
});

describe('blind-index normalisation (properties)', () => {
  const digits = (min: number, max: number) => fc.stringMatching(new RegExp(`^[0-9]{${min},${max}}$`));
  /** Inserts spaces, hyphens, dots or parentheses between the characters of `value`. */
  const formatted = (value: string) =>
    fc
      .array(fc.constantFrom('', ' ', '-', '.', '(', ')'), {
        minLength: value.length,
        maxLength: value.length,
      })
      .map((seps) =>
        Array.from(value)
          .map((ch, i) => `${ch}${seps[i]}`)
          .join(''),
      );

  it('a Chinese mobile number indexes the same however it is written (+86, 0086, separators, full-width)', () => {
    fc.assert(
      fc.property(
        digits(10, 10).chain((rest) => {
          const mobile = `1${rest}`;
          return fc.tuple(
            fc.constant(mobile),
            formatted(mobile),
            fc.constantFrom('', '+86', '0086', '+86 ', '＋８６'),
          );
        }),
        ([mobile, written, prefix]) => {
          expect(normaliseIndexValue('phone', `${prefix}${written}`)).toBe(mobile);
        },
      ),
    );
  });

  it('e-mail addresses index case-insensitively; national ids ignore spaces and case', () => {
    fc.assert(
      fc.property(fc.emailAddress(), (email) => {
        expect(normaliseIndexValue('email', email.toUpperCase())).toBe(normaliseIndexValue('email', email));
      }),
    );
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9]{17}[0-9xX]$/), (id) => {
        expect(normaliseIndexValue('nationalId', ` ${id.toLowerCase()} `)).toBe(id.toUpperCase());
      }),
    );
  });

  it('the same digits as a phone and as an id index differently; different numbers index differently', () => {
    const indexer = new BlindIndexer(generateDataKey());
    fc.assert(
      fc.property(digits(11, 11), digits(11, 11), (a, b) => {
        expect(indexer.index('phone', a)).not.toBe(indexer.index('nationalId', a));
        fc.pre(normaliseIndexValue('phone', a) !== normaliseIndexValue('phone', b));
        expect(indexer.index('phone', a)).not.toBe(indexer.index('phone', b));
      }),
    );
  });
});
