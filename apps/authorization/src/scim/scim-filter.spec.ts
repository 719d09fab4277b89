import { parseScimFilter } from './scim-filter';

const invalid = (filter: string) => expect(() => parseScimFilter(filter)).toThrow(expect.objectContaining({ status: 400, scimType: 'invalidFilter' }));

describe('SCIM filter parser', () => {
  it('parses userName eq with any case of attribute and operator', () => {
    expect(parseScimFilter('UserName EQ "alice@example.com"')).toEqual([{ attribute: 'userName', value: 'alice@example.com' }]);
  });

  it('parses externalId and emails.value, and the core schema prefix', () => {
    expect(parseScimFilter('externalId eq "abc-1"')).toEqual([{ attribute: 'externalId', value: 'abc-1' }]);
    expect(parseScimFilter('emails.value eq "a@b.io"')).toEqual([{ attribute: 'emails.value', value: 'a@b.io' }]);
    expect(parseScimFilter('urn:ietf:params:scim:schemas:core:2.0:User:userName eq "x"')).toEqual([{ attribute: 'userName', value: 'x' }]);
  });

  it('parses emails[type eq "work"].value', () => {
    expect(parseScimFilter('emails[type eq "work"].value eq "a@b.io"')).toEqual([{ attribute: 'emails.value', value: 'a@b.io', emailType: 'work' }]);
  });

  it('joins eq clauses with and, and unescapes strings', () => {
    expect(parseScimFilter('userName eq "a \\"b\\"" and externalId eq "1"')).toEqual([
      { attribute: 'userName', value: 'a "b"' },
      { attribute: 'externalId', value: '1' },
    ]);
  });

  it.each([
    ['another operator', 'userName co "a"'],
    ['or', 'userName eq "a" or userName eq "b"'],
    ['an unknown attribute', 'title eq "x"'],
    ['an unquoted value', 'userName eq alice'],
    ['parentheses', '(userName eq "a")'],
    ['a dangling and', 'userName eq "a" and'],
    ['an empty filter', '   '],
    ['a value filter on another attribute', 'addresses[type eq "work"].value eq "x"'],
  ])('refuses %s with invalidFilter', (_what, filter) => invalid(filter));
});
