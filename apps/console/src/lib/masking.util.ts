/** How a customer field is shown: its value in clear, a masked form, absent (the caller may not see it), or empty. */
export type FieldDisplay =
  | { state: 'clear'; text: string }
  | { state: 'masked'; text: string }
  | { state: 'hidden'; text: string }
  | { state: 'empty'; text: string };

/** Warden's masked forms hide characters behind `*` (`139****0101`, `o***@example.org`) or keep only a city. */
export const looksMasked = (value: string): boolean => /\*{2,}|^[^*@]\*+@/.test(value);

/**
 * The display of one field of a customer view. The service decides the level; the console only
 * tells a masked value from a clear one so it can offer "reveal" and say what the person sees.
 * `masked` lists the fields known to be masked for this caller (e.g. address, which keeps a city).
 */
export function fieldDisplay(
  view: Record<string, unknown>,
  field: string,
  masked: ReadonlySet<string> = new Set(),
): FieldDisplay {
  if (!Object.hasOwn(view, field)) return { state: 'hidden', text: 'not visible to you' };
  const value = view[field];
  if (value === null || value === undefined || value === '') return { state: 'empty', text: '—' };
  const text = Array.isArray(value) ? value.join(', ') : String(value);
  if (masked.has(field) || looksMasked(text)) return { state: 'masked', text };
  return { state: 'clear', text };
}

export type RevealOutcome = { revealed: true; value: string } | { revealed: false; reason: string };

/** Whether a reveal answer shows the field in clear: it must be present, and differ from the masked form shown before. */
export function revealOutcome(before: string, after: Record<string, unknown>, field: string): RevealOutcome {
  if (!Object.hasOwn(after, field))
    return { revealed: false, reason: 'the service did not return this field' };
  const value = after[field];
  if (value === null || value === undefined) return { revealed: false, reason: 'the field is empty' };
  const text = String(value);
  if (text === before || looksMasked(text)) {
    return {
      revealed: false,
      reason: 'the field is still masked: you need the clear level for it (ask for a grant)',
    };
  }
  return { revealed: true, value: text };
}
