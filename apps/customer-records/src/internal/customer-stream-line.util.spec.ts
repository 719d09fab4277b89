import type { SubjectKeys } from '@warden/crypto';
import type { FieldLevel } from '@warden/security';
import fc from 'fast-check';
import { CustomerQueryService, type CustomerRow } from '../customer/customer-query.service';
import { CUSTOMER_VIEW_FIELDS, type CustomerViewField } from '../customer/customer-view.util';
import { CustomerError } from '../customer/customer.exception';
import { streamLines, streamViewBuilder, type StreamView } from './customer-stream-line.util';

/** `viewWith` only reads the row, the levels and the keys given to it. */
const queries = new CustomerQueryService(null as never, null as never, null as never, null as never, null as never);

const PLAINTEXT: Record<string, string> = {
  mobile: '+86 139-1234-5678',
  email: 'ada.lovelace@example.org',
  nationalId: '11010119900307123X',
  address: '12 Harbour Road, Springfield, 10001',
};
/** Stands in for a page's data keys: the plaintext of a field, tagged with the customer and token it was asked for. */
const keys = {
  decrypt: (customerId: string, field: string, token: string) => `${PLAINTEXT[field]}${token.length % 2 === 0 ? '' : ` ${customerId.slice(0, 4)}`}`,
} as unknown as SubjectKeys;

/** The line as the stream wrote it before: the row's view, id and version first. */
const viewLine = (row: CustomerRow, levels: Record<CustomerViewField, FieldLevel>): string => {
  const { id, version, ...rest } = queries.viewWith(row, levels, keys);
  return JSON.stringify({ id, version, ...rest });
};

const text = fc.oneof(fc.string({ unit: 'grapheme' }), fc.constantFrom('Ada "The" Countess', '张三', '=1+2', 'line\nbreak', '\u2028'));
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.oneof(arb, fc.constant(null));
const token = maybe(fc.constantFrom('v1.a', 'v1.bb'));
const stored = fc.oneof(fc.constant(null), fc.constant(undefined), fc.constantFrom('a***@example.org', '139****5678', 'Springfield'));
const date = fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true });

const rowArb: fc.Arbitrary<CustomerRow> = fc.record({
  id: fc.uuid(),
  name: text,
  company: maybe(text),
  tags: fc.array(text, { maxLength: 3 }),
  classification: fc.constantFrom('public', 'internal', 'confidential'),
  owner_id: maybe(fc.uuid()),
  team_id: maybe(fc.uuid()),
  mobile_ciphertext: token,
  email_ciphertext: token,
  national_id_ciphertext: token,
  address_ciphertext: token,
  mobile_masked: stored,
  email_masked: stored,
  national_id_masked: stored,
  address_masked: stored,
  shared_with: fc.array(fc.uuid(), { maxLength: 2 }),
  status: fc.constantFrom('active', 'archived'),
  version: fc.integer({ min: 1, max: 1_000_000 }),
  created_at: date,
  updated_at: date,
});

const levelsArb: fc.Arbitrary<Record<CustomerViewField, FieldLevel>> = fc
  .tuple(...CUSTOMER_VIEW_FIELDS.map(() => fc.constantFrom<FieldLevel>('clear', 'masked', 'none')))
  .map((picked) => {
    const levels = Object.fromEntries(CUSTOMER_VIEW_FIELDS.map((field, i) => [field, picked[i]])) as Record<CustomerViewField, FieldLevel>;
    return { ...levels, id: 'clear', version: 'clear' };
  });

describe('a streamed row as a JSON line', () => {
  it('is the JSON of its view at the levels, id and version first, whatever the row and levels', () => {
    fc.assert(
      fc.property(rowArb, levelsArb, (row, levels) => {
        expect(streamLines([streamViewBuilder(levels, keys)(row)])).toBe(`${viewLine(row, levels)}\n`);
      }),
      { numRuns: 3000 },
    );
  });

  it('are the lines of each view in turn when several are written at once', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(rowArb, levelsArb), { maxLength: 30 }), (pairs) => {
        const views = pairs.map(([row, levels]) => streamViewBuilder(levels, keys)(row));
        expect(streamLines(views)).toBe(pairs.map(([row, levels]) => `${viewLine(row, levels)}\n`).join(''));
      }),
      { numRuns: 500 },
    );
  });

  it('are written one by one when a value could pass for the boundary between two views', () => {
    const views = [
      { id: 'a', version: 1, tags: [{ x: 1 }, { id: 'inner' }] },
      { id: 'b', version: 2, name: '},{"id":"c"' },
    ] as unknown as StreamView[];
    expect(streamLines(views)).toBe(`${views.map((view) => JSON.stringify(view)).join('\n')}\n`);
    expect(streamLines(views).split('\n')).toHaveLength(3);
  });

  it('shows a stored masked form without decrypting, decrypts a clear field, and leaves out fields at none', () => {
    const levels = { ...Object.fromEntries(CUSTOMER_VIEW_FIELDS.map((field) => [field, 'none'])), id: 'clear', version: 'clear', name: 'clear', mobile: 'clear', email: 'masked' } as Record<CustomerViewField, FieldLevel>;
    const decrypted: string[] = [];
    const counting = { decrypt: (_id: string, field: string) => (decrypted.push(field), PLAINTEXT[field]) } as unknown as SubjectKeys;
    const row = {
      id: '0194f3a2-1b2c-7d3e-8f40-000000000001',
      version: 2,
      name: 'Ada',
      status: 'active',
      mobile_ciphertext: 'v1.m',
      email_ciphertext: null,
      email_masked: 'a***@example.org',
      company: 'Hidden Ltd',
    } as unknown as CustomerRow;
    expect(JSON.parse(streamLines([streamViewBuilder(levels, counting)(row)]))).toEqual({
      id: row.id,
      version: 2,
      name: 'Ada',
      mobile: PLAINTEXT.mobile,
      email: 'a***@example.org',
    });
    expect(decrypted).toEqual(['mobile']);
  });

  it('refuses an erased customer, as its view does', () => {
    const levels = { ...Object.fromEntries(CUSTOMER_VIEW_FIELDS.map((field) => [field, 'clear'])) } as Record<CustomerViewField, FieldLevel>;
    const erased = { id: '0194f3a2-1b2c-7d3e-8f40-000000000002', version: 3, name: null, status: 'erased' } as unknown as CustomerRow;
    expect(() => streamViewBuilder(levels, keys)(erased)).toThrow(CustomerError);
    expect(() => queries.viewWith(erased, levels, keys)).toThrow(CustomerError);
  });
});
