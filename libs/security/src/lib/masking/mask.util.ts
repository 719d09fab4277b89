/**
 * Pure masking of sensitive values for display at the `masked` field level. Every function
 * accepts anything (null, numbers, empty or odd strings, any Unicode) without throwing; when a
 * value does not have the expected shape, or is too short to keep anything without revealing
 * most of it, the result is the fully masked form `FULLY_MASKED`, which reveals nothing (not
 * even the length).
 */

export const FULLY_MASKED = '****';

const STARS = '***';

/** Unicode-aware characters (a surrogate pair is one character). */
function chars(value: string): string[] {
  return Array.from(value);
}

function asText(value: unknown): string | null {
  return typeof value === 'string' ? value.trim() : null;
}

/**
 * A phone number: the first 3 and last 4 digits kept, every digit between them masked, formatting
 * dropped (`'+86 138-0013-8000'` → `'861******8000'`; `'13800138000'` → `'138****8000'`). Fewer
 * than 8 digits: fully masked.
 */
export function maskMobile(value: unknown): string {
  const text = asText(value);
  if (text === null) return FULLY_MASKED;
  const digits = text.replace(/[^0-9]/g, '');
  if (digits.length < 8) return FULLY_MASKED;
  return `${digits.slice(0, 3)}${'*'.repeat(digits.length - 7)}${digits.slice(-4)}`;
}

/**
 * A national identity number: the first 6 (region) and last 4 characters kept, the rest masked
 * (`'110101199003071234'` → `'110101********1234'`). Spaces and hyphens are dropped. Fewer than 11
 * characters, or characters other than letters and digits: fully masked.
 */
export function maskNationalId(value: unknown): string {
  const text = asText(value);
  if (text === null) return FULLY_MASKED;
  const id = text.replace(/[\s-]/g, '');
  if (id.length < 11 || !/^[0-9A-Za-z]+$/.test(id)) return FULLY_MASKED;
  return `${id.slice(0, 6)}${'*'.repeat(id.length - 10)}${id.slice(-4)}`;
}

/**
 * A person's name.
 * - Several words (`'John Smith'`, `'Mary Jane Watson'`): the first letter of the first word,
 *   `***`, and the last word (`'J*** Smith'`, `'M*** Watson'`); middle names are dropped.
 * - One word in Latin script (`'Madonna'`): its first letter and `***` (`'M***'`).
 * - One word in another script, e.g. Chinese (`'张三'`, `'欧阳娜娜'`): the first character and one
 *   `*` per remaining character (`'张*'`, `'欧***'`), the usual form for such names.
 * - A single character: fully masked.
 */
export function maskName(value: unknown): string {
  const text = asText(value);
  if (text === null || text === '') return FULLY_MASKED;
  const words = text.split(/\s+/u);
  if (words.length > 1) return `${chars(words[0])[0]}${STARS} ${words[words.length - 1]}`;
  const letters = chars(text);
  if (letters.length < 2) return FULLY_MASKED;
  if (/^\p{Script=Latin}/u.test(text)) return `${letters[0]}${STARS}`;
  return `${letters[0]}${'*'.repeat(letters.length - 1)}`;
}

/**
 * An e-mail address: the first character of the local part, `***`, and the domain
 * (`'zhang.san@example.com'` → `'z***@example.com'`), the form the contracts'
 * `maskedEmailSchema` accepts. Without a local part or a domain: fully masked.
 */
export function maskEmail(value: unknown): string {
  const text = asText(value);
  if (text === null) return FULLY_MASKED;
  const at = text.lastIndexOf('@');
  const local = text.slice(0, at);
  const domain = text.slice(at + 1);
  if (at <= 0 || domain === '' || /[\s@]/u.test(domain)) return FULLY_MASKED;
  const first = chars(local)[0];
  return `${first === '*' || /\s/u.test(first) ? '' : first}${STARS}@${domain}`;
}

/**
 * An address, reduced to its city.
 * - A structured address: its `city` (a non-empty string), nothing else.
 * - A string: Chinese-style addresses keep everything up to and including the first `市`
 *   (`'广东省深圳市南山区…'` → `'广东省深圳市'`); comma-separated ones keep the first part that
 *   holds no digit, i.e. the first part that is not a street line or a postcode
 *   (`'1 Main St, Springfield, IL 62701'` → `'Springfield'`).
 * - Anything else, or no city found: fully masked.
 */
export function maskAddress(value: unknown): string {
  if (typeof value === 'object' && value !== null) {
    const city = asText((value as { city?: unknown }).city);
    return city ? city : FULLY_MASKED;
  }
  const text = asText(value);
  if (!text) return FULLY_MASKED;
  const chinese = /^([^,，\d]{1,20}?市)/u.exec(text);
  if (chinese) return chinese[1];
  const parts = text.split(/[,，]/u).map((part) => part.trim());
  if (parts.length < 2) return FULLY_MASKED;
  const city = parts.find((part) => part !== '' && !/\d/u.test(part));
  return city ?? FULLY_MASKED;
}

/** Field names (lower-cased) whose values are masked by a specific function. */
const MASKERS: ReadonlyMap<string, (value: unknown) => string> = new Map([
  ['mobile', maskMobile],
  ['phone', maskMobile],
  ['email', maskEmail],
  ['nationalid', maskNationalId],
  ['name', maskName],
  ['address', maskAddress],
]);

/**
 * Masks `value` as the field `field` calls for. Other fields: a string keeps its first character
 * followed by `***` (a one-character or empty string is fully masked); any other value (number,
 * boolean, object, null) is fully masked, since it cannot be shortened meaningfully.
 */
export function maskValue(field: string, value: unknown): string {
  const masker = MASKERS.get(String(field).toLowerCase());
  if (masker) return masker(value);
  const text = asText(value);
  if (text === null) return FULLY_MASKED;
  const letters = chars(text);
  return letters.length < 2 ? FULLY_MASKED : `${letters[0]}${STARS}`;
}
