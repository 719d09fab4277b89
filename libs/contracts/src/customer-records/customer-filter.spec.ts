import { customerFilterKeys, customerFilterSchema, isCustomerSearch } from './customer-filter';

describe('the customer filter', () => {
  it('accepts every filter and refuses unknown keys and bad values', () => {
    const filter = {
      q: 'acme',
      tags: ['vip'],
      ownerId: 'u1',
      teamId: 't1',
      classification: 'internal',
      status: 'archived',
      mobile: '139',
      email: 'a@b.c',
      nationalId: '110',
    };
    expect(customerFilterSchema.parse(filter)).toEqual(filter);
    expect(customerFilterSchema.safeParse({ colour: 'red' }).success).toBe(false);
    expect(customerFilterSchema.safeParse({ classification: 'secret' }).success).toBe(false);
    expect(customerFilterSchema.safeParse({ status: 'erased' }).success).toBe(false);
    expect(customerFilterSchema.safeParse({ tags: [] }).success).toBe(false);
  });

  it('names the keys used, never the values, and tells a search from a list', () => {
    const filter = customerFilterSchema.parse({ mobile: '13912345678', q: 'x', status: 'active' });
    expect(customerFilterKeys(filter)).toEqual(['q', 'status', 'mobile']);
    expect(isCustomerSearch(filter)).toBe(true);
    expect(isCustomerSearch({ status: 'archived' })).toBe(false);
    expect(isCustomerSearch({})).toBe(false);
  });
});
