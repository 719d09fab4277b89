import { maskedEmailSchema } from '@warden/contracts';
import { applyFieldLevels } from './field-levels.util';
import { FULLY_MASKED, maskAddress, maskEmail, maskMobile, maskName, maskNationalId, maskValue } from './mask.util';

describe('Masking', () => {
  describe('maskMobile', () => {
    it.each([
      ['13800138000', '138****8000'],
      ['138-0013-8000', '138****8000'],
      ['+86 138 0013 8000', '861******8000'],
      ['12345678', '123*5678'],
      ['1234567', FULLY_MASKED],
      ['', FULLY_MASKED],
      ['not a number', FULLY_MASKED],
    ])('%s → %s', (input, expected) => expect(maskMobile(input)).toBe(expected));
  });

  describe('maskNationalId', () => {
    it.each([
      ['110101199003071234', '110101********1234'],
      ['11010119900307123X', '110101********123X'],
      ['110101 19900307 1234', '110101********1234'],
      ['110101900307123', '110101*****7123'],
      ['A1234567', FULLY_MASKED],
      ['110101<script>1234', FULLY_MASKED],
      ['', FULLY_MASKED],
    ])('%s → %s', (input, expected) => expect(maskNationalId(input)).toBe(expected));
  });

  describe('maskName', () => {
    it.each([
      ['张三', '张*'],
      ['欧阳娜娜', '欧***'],
      ['John Smith', 'J*** Smith'],
      ['  Mary Jane   Watson ', 'M*** Watson'],
      ['Madonna', 'M***'],
      ['Émile', 'É***'],
      ['张', FULLY_MASKED],
      ['J', FULLY_MASKED],
      ['𠀋𠀌', '𠀋*'],
      ['', FULLY_MASKED],
      ['   ', FULLY_MASKED],
    ])('%s → %s', (input, expected) => expect(maskName(input)).toBe(expected));
  });

  describe('maskEmail', () => {
    it.each([
      ['zhang.san@example.com', 'z***@example.com'],
      ['a@b.co', 'a***@b.co'],
      ['"odd@local"@example.com', '"***@example.com'],
      ['*star@example.com', '***@example.com'],
      ['@example.com', FULLY_MASKED],
      ['zhang@', FULLY_MASKED],
      ['no-at-sign', FULLY_MASKED],
      ['', FULLY_MASKED],
    ])('%s → %s', (input, expected) => expect(maskEmail(input)).toBe(expected));

    it('produces what the contracts accept as a masked e-mail address', () => {
      for (const email of ['zhang.san@example.com', 'g@x.org', '*x@y.z', 'ünï@例子.中国']) {
        expect(maskedEmailSchema.safeParse(maskEmail(email)).success).toBe(true);
      }
    });
  });

  describe('maskAddress', () => {
    it.each([
      [{ city: 'Shenzhen', street: '1 Keyuan Rd', postcode: '518000' }, 'Shenzhen'],
      [{ street: '1 Keyuan Rd' }, FULLY_MASKED],
      [{ city: '  ' }, FULLY_MASKED],
      ['广东省深圳市南山区科苑路1号', '广东省深圳市'],
      ['北京市朝阳区建国路88号', '北京市'],
      ['1 Main St, Springfield, IL 62701', 'Springfield'],
      ['Flat 2, 10 Downing St, London, SW1A 2AA', 'London'],
      ['12 Unknown Road', FULLY_MASKED],
      ['1 Main St, 62701', FULLY_MASKED],
      ['', FULLY_MASKED],
    ])('%j → %s', (input, expected) => expect(maskAddress(input)).toBe(expected));
  });

  describe('maskValue', () => {
    it('dispatches by field', () => {
      expect(maskValue('mobile', '13800138000')).toBe('138****8000');
      expect(maskValue('phone', '13800138000')).toBe('138****8000');
      expect(maskValue('email', 'zhang.san@example.com')).toBe('z***@example.com');
      expect(maskValue('nationalId', '110101199003071234')).toBe('110101********1234');
      expect(maskValue('name', 'John Smith')).toBe('J*** Smith');
      expect(maskValue('address', { city: 'Beijing' })).toBe('Beijing');
    });

    it('keeps the first character of another string, and fully masks anything else', () => {
      expect(maskValue('company', 'Acme Ltd')).toBe('A***');
      expect(maskValue('company', 'A')).toBe(FULLY_MASKED);
      expect(maskValue('balance', 12345)).toBe(FULLY_MASKED);
      expect(maskValue('flag', true)).toBe(FULLY_MASKED);
      expect(maskValue('tags', ['vip'])).toBe(FULLY_MASKED);
      expect(maskValue('x', null)).toBe(FULLY_MASKED);
    });
  });

  describe('on any input (property-style)', () => {
    const maskers = [maskMobile, maskNationalId, maskName, maskEmail, maskAddress, (v: unknown) => maskValue('other', v)];
    const odd: unknown[] = [null, undefined, 0, NaN, {}, [], '', ' ', '\u0000', '\uD800', '🙂🙂🙂', 'a'.repeat(10_000), Symbol('s'), () => 1];

    /** Deterministic pseudo-random strings over digits, Latin, CJK, emoji, punctuation and whitespace. */
    function* strings(count: number, seed = 42): Generator<string> {
      const alphabet = Array.from('0123456789abcXYZ张三李四欧阳🙂é -_.,@+()，市\t');
      let state = seed;
      const next = () => (state = (state * 1103515245 + 12345) % 2 ** 31);
      for (let i = 0; i < count; i++) {
        const length = next() % 30;
        let s = '';
        for (let j = 0; j < length; j++) s += alphabet[next() % alphabet.length];
        yield s;
      }
    }

    it('never throws and always returns a string', () => {
      for (const mask of maskers) {
        for (const value of [...odd, ...strings(2000)]) expect(typeof mask(value)).toBe('string');
      }
    });

    it('never returns a phone number or national id of 8+ digits unchanged, and keeps only 7 of its digits', () => {
      let state = 7;
      const digit = () => String((state = (state * 48271) % 2147483647) % 10);
      for (let i = 0; i < 1000; i++) {
        const length = 8 + (i % 12);
        const number = Array.from({ length }, digit).join('');
        const mobile = maskMobile(number);
        expect(mobile).toHaveLength(length);
        expect(mobile.slice(3, -4)).toMatch(/^\*+$/);
        expect(mobile.slice(0, 3) + mobile.slice(-4)).toBe(number.slice(0, 3) + number.slice(-4));
        if (length >= 11) {
          const id = maskNationalId(number);
          expect(id.slice(6, -4)).toMatch(/^\*+$/);
          expect(id.replace(/\*/g, '')).toHaveLength(10);
        }
      }
    });

    it('never returns a name or e-mail address of two or more characters unchanged', () => {
      for (const s of strings(2000, 3)) {
        if (Array.from(s.trim()).length >= 2) {
          expect(maskName(s)).not.toBe(s.trim());
          expect(maskValue('other', s)).not.toBe(s.trim());
        }
        const email = `${s}@example.com`;
        expect(maskEmail(email)).not.toBe(email);
      }
    });
  });
});

describe('applyFieldLevels', () => {
  const record = {
    id: 'c-1',
    name: '张三',
    mobile: '13800138000',
    email: 'zhang.san@example.com',
    nationalId: '110101199003071234',
    address: { city: 'Beijing', street: '1 Chang’an Ave' },
    company: null,
  };

  it('keeps clear fields, masks masked ones and omits none', () => {
    const out = applyFieldLevels(record, {
      id: 'clear',
      name: 'clear',
      mobile: 'clear',
      email: 'masked',
      nationalId: 'masked',
      address: 'masked',
      company: 'masked',
    });
    expect(out).toEqual({
      id: 'c-1',
      name: '张三',
      mobile: '13800138000',
      email: 'z***@example.com',
      nationalId: '110101********1234',
      address: 'Beijing',
      company: null,
    });
  });

  it('omits a field without a level (deny by default) and does not modify the record', () => {
    const before = JSON.stringify(record);
    const out = applyFieldLevels(record, { id: 'clear', mobile: 'none' });
    expect(out).toEqual({ id: 'c-1' });
    expect(JSON.stringify(record)).toBe(before);
  });

  it('treats a field named __proto__ as data', () => {
    const hostile = JSON.parse('{"__proto__": {"polluted": true}, "id": "x"}') as Record<string, unknown>;
    const levels = JSON.parse('{"__proto__": "clear", "id": "clear"}') as Record<string, 'clear'>;
    const out = applyFieldLevels(hostile, levels);
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.hasOwn(out, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
