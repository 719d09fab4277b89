/** A report period: a month (`2026-11`) or a quarter (`2026-Q4`), as a half-open UTC range. */
export type ReportPeriod = { id: string; from: Date; to: Date; kind: 'month' | 'quarter' };

export function parsePeriod(id: string): ReportPeriod | null {
  const month = /^(\d{4})-(0[1-9]|1[0-2])$/.exec(id);
  if (month) {
    const y = Number(month[1]);
    const m = Number(month[2]) - 1;
    return { id, kind: 'month', from: new Date(Date.UTC(y, m, 1)), to: new Date(Date.UTC(y, m + 1, 1)) };
  }
  const quarter = /^(\d{4})-Q([1-4])$/.exec(id);
  if (quarter) {
    const y = Number(quarter[1]);
    const q = Number(quarter[2]) - 1;
    return { id, kind: 'quarter', from: new Date(Date.UTC(y, q * 3, 1)), to: new Date(Date.UTC(y, q * 3 + 3, 1)) };
  }
  return null;
}

/** The periods that ended most recently before `now`: the last month, and the last quarter when it just ended. */
export function periodsEndedBy(now: Date): string[] {
  const lastMonth = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1));
  const y = lastMonth.getUTCFullYear();
  const m = lastMonth.getUTCMonth();
  const out = [`${y}-${String(m + 1).padStart(2, '0')}`];
  if (m % 3 === 2) out.push(`${y}-Q${Math.floor(m / 3) + 1}`);
  return out;
}
