import { randomBytes } from 'node:crypto';
import { BlindIndexer, normaliseIndexValue, type IndexKind } from './blind-index';
import { CryptoUsageError, InvalidIndexValueError } from './crypto.errors';

describe('normaliseIndexValue', () => {
  const table: Array<[IndexKind, string, string]> = [
    ['phone', '+86 138-0013-8000', '13800138000'],
    ['phone', '8613800138000', '13800138000'],
    ['phone', '138 0013 8000', '13800138000'],
    ['phone', '0086 138 0013 8000', '13800138000'],
    ['phone', '+86 (138) 0013.8000', '13800138000'],
    ['phone', '＋８６ １３８００１３８０００', '13800138000'],
    ['phone', '13800138000', '13800138000'],
    ['phone', '+1 (415) 555-0100', '+14155550100'],
    ['phone', '0044 20 7946 0958', '+442079460958'],
    ['phone', '010-6552 9988', '01065529988'],
    ['phone', '+86 10 6552 9988', '+861065529988'],
    ['email', '  Ada.Lovelace@Example.COM ', 'ada.lovelace@example.com'],
    ['email', 'ada@example.com', 'ada@example.com'],
    ['nationalId', ' 11010519491231002x ', '11010519491231002X'],
    ['nationalId', '110105 19491231 002X', '11010519491231002X'],
  ];

  it.each(table)('normalises %s %j to %j', (kind, value, expected) => {
    expect(normaliseIndexValue(kind, value)).toBe(expected);
  });
});

describe('BlindIndexer', () => {
  const indexer = new BlindIndexer(randomBytes(32));

  it('gives the same index to every spelling of the same phone number', () => {
    const indexes = new Set(
      ['+86 138-0013-8000', '8613800138000', '138 0013 8000'].map((v) => indexer.index('phone', v)),
    );
    expect(indexes.size).toBe(1);
    expect([...indexes][0]).toMatch(/^[0-9a-f]{64}$/);
  });

  it('gives the same index to emails that differ only in case and surrounding spaces', () => {
    expect(indexer.index('email', ' Ada@Example.com')).toBe(indexer.index('email', 'ada@example.com'));
  });

  it('gives the same index to an ID with a lower-case x', () => {
    expect(indexer.index('nationalId', '11010519491231002x')).toBe(
      indexer.index('nationalId', '11010519491231002X'),
    );
  });

  it('gives different indexes to different values', () => {
    expect(indexer.index('phone', '13800138000')).not.toBe(indexer.index('phone', '13800138001'));
  });

  it('gives different indexes to the same digits under different kinds', () => {
    const digits = '13800138000';
    const indexes = new Set(
      (['phone', 'email', 'nationalId'] as const).map((kind) => indexer.index(kind, digits)),
    );
    expect(indexes.size).toBe(3);
  });

  it('depends on the index key', () => {
    const other = new BlindIndexer(randomBytes(32));
    expect(other.index('email', 'ada@example.com')).not.toBe(indexer.index('email', 'ada@example.com'));
  });

  it('gives the same index for the same key built from base64', () => {
    const key = randomBytes(32);
    expect(BlindIndexer.fromBase64(key.toString('base64')).index('email', 'a@b.c')).toBe(
      new BlindIndexer(key).index('email', 'a@b.c'),
    );
  });

  it('refuses an index key that is not 32 bytes', () => {
    expect(() => new BlindIndexer(randomBytes(16))).toThrow(CryptoUsageError);
    expect(() => BlindIndexer.fromBase64('not base64!')).toThrow(CryptoUsageError);
  });

  describe('when the value is unusable', () => {
    const cases: Array<[IndexKind, string]> = [
      ['phone', ' - ( ) . '],
      ['phone', '138-0013-800O'],
      ['email', '   '],
      ['nationalId', ' \t '],
    ];

    it.each(cases)(
      'rejects %s %j with INVALID_INDEX_VALUE (400), naming the kind but not the value',
      (kind, value) => {
        let caught: unknown;
        try {
          indexer.index(kind, value);
        } catch (error) {
          caught = error;
        }
        expect(caught).toBeInstanceOf(InvalidIndexValueError);
        const error = caught as InvalidIndexValueError;
        expect(error).toMatchObject({ code: 'INVALID_INDEX_VALUE', status: 400, kind });
        expect(error.message).toContain(kind);
        if (value.trim() !== '') expect(error.message).not.toContain(value.trim());
      },
    );
  });
});
