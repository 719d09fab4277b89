import { ScimSchemas } from './scim.constants';
import { ScimError } from './scim.exception';

/** The attributes a filter may test, by their canonical SCIM names. */
export type ScimFilterAttribute = 'id' | 'userName' | 'externalId' | 'emails.value';

/** `attribute eq "value"`; for e-mails optionally restricted to one `type` (`emails[type eq "work"].value`). */
export type ScimFilterClause = { attribute: ScimFilterAttribute; value: string; emailType?: string };

/** Clauses joined by `and`. */
export type ScimFilter = ScimFilterClause[];

const ATTRIBUTES: Record<string, ScimFilterAttribute> = {
  id: 'id',
  username: 'userName',
  externalid: 'externalId',
  'emails.value': 'emails.value',
  emails: 'emails.value',
};

type Token = { kind: 'word' | 'string' | '[' | ']'; text: string };

const TOKEN = /\s*(?:("(?:[^"\\]|\\.)*")|(\[)|(\])|([A-Za-z0-9:._$-]+))/y;

function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < input.length) {
    const at = TOKEN.lastIndex;
    if (/^\s*$/.test(input.slice(at))) break;
    const match = TOKEN.exec(input);
    if (!match) throw ScimError.invalidFilter(`unexpected character at position ${at + 1}`);
    if (match[1] !== undefined) {
      let text: unknown;
      try {
        text = JSON.parse(match[1]);
      } catch {
        throw ScimError.invalidFilter(`malformed string at position ${at + 1}`);
      }
      tokens.push({ kind: 'string', text: String(text) });
    } else if (match[2]) tokens.push({ kind: '[', text: '[' });
    else if (match[3]) tokens.push({ kind: ']', text: ']' });
    else tokens.push({ kind: 'word', text: match[4] });
  }
  return tokens;
}

/** Drops the core schema prefix (`urn:…:core:2.0:User:userName` → `userName`). */
const stripCoreUrn = (path: string, urn: string): string => (path.toLowerCase().startsWith(`${urn.toLowerCase()}:`) ? path.slice(urn.length + 1) : path);

/** What a Group filter may test. */
export type ScimGroupFilterAttribute = 'id' | 'displayName' | 'externalId';
export type ScimGroupFilter = Array<{ attribute: ScimGroupFilterAttribute; value: string }>;

const GROUP_ATTRIBUTES: Record<string, ScimGroupFilterAttribute> = { id: 'id', displayname: 'displayName', externalid: 'externalId' };

/** `displayName eq "…"` (what Entra ID and Okta send before creating a group), `externalId eq`, `id eq`, joined by `and`. */
export function parseScimGroupFilter(input: string): ScimGroupFilter {
  return parseEqFilter(input, ScimSchemas.Group, GROUP_ATTRIBUTES).map(({ attribute, value, emailType }) => {
    if (emailType !== undefined) throw ScimError.invalidFilter('value filters are not supported on Groups');
    return { attribute, value };
  });
}

/**
 * Parses the subset of RFC 7644 §3.4.2.2 filters Warden supports: `eq` comparisons with a string
 * on `id`, `userName`, `externalId`, `emails.value` (optionally `emails[type eq "…"].value`),
 * joined by `and`. Attribute names and operators are case-insensitive. Anything else throws an
 * `invalidFilter` ScimError.
 */
export function parseScimFilter(input: string): ScimFilter {
  return parseEqFilter(input, ScimSchemas.User, ATTRIBUTES);
}

function parseEqFilter<A extends string>(input: string, coreUrn: string, attributes: Record<string, A>): Array<{ attribute: A; value: string; emailType?: string }> {
  if (input.length > 1000) throw ScimError.invalidFilter('filter is longer than 1000 characters');
  const tokens = tokenize(input);
  if (tokens.length === 0) throw ScimError.invalidFilter('filter is empty');
  let i = 0;
  const next = (what: string): Token => {
    const token = tokens[i++];
    if (!token) throw ScimError.invalidFilter(`filter ends where ${what} was expected`);
    return token;
  };
  const expectWord = (word: string): void => {
    const token = next(`"${word}"`);
    if (token.kind !== 'word' || token.text.toLowerCase() !== word) {
      throw ScimError.invalidFilter(`expected "${word}" but found "${token.text}" (only "eq" and "and" are supported)`);
    }
  };
  const expectString = (): string => {
    const token = next('a quoted string');
    if (token.kind !== 'string') throw ScimError.invalidFilter(`expected a quoted string but found ${token.text}`);
    return token.text;
  };

  const clauses: Array<{ attribute: A; value: string; emailType?: string }> = [];
  for (;;) {
    const head = next('an attribute');
    if (head.kind !== 'word') throw ScimError.invalidFilter(`expected an attribute but found "${head.text}"`);
    let path = stripCoreUrn(head.text, coreUrn).toLowerCase();
    let emailType: string | undefined;
    if (tokens[i]?.kind === '[') {
      if (path !== 'emails' || attributes[path] === undefined) throw ScimError.invalidFilter(`value filters are supported on emails only, not on ${head.text}`);
      i += 1;
      const sub = next('"type"');
      if (sub.kind !== 'word' || sub.text.toLowerCase() !== 'type') throw ScimError.invalidFilter('emails[…] may filter on type only');
      expectWord('eq');
      emailType = expectString();
      if (next('"]"').kind !== ']') throw ScimError.invalidFilter('expected "]"');
      const rest = next('".value"');
      if (rest.kind !== 'word' || rest.text.toLowerCase() !== '.value') throw ScimError.invalidFilter('expected ".value" after emails[…]');
      path = 'emails.value';
    }
    const attribute = attributes[path];
    if (!attribute) throw ScimError.invalidFilter(`filtering on ${head.text} is not supported`);
    expectWord('eq');
    const value = expectString();
    clauses.push(emailType === undefined ? { attribute, value } : { attribute, value, emailType });
    if (i === tokens.length) return clauses;
    expectWord('and');
  }
}
