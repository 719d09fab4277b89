const pad = (n: number) => String(n).padStart(2, '0');

/** `2030-06-01 14:05` in the viewer's time zone; `—` for nothing; the input itself when it is no date. */
export function formatDateTime(value: string | null | undefined): string {
  if (!value) return '—';
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return value;
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** `in 3 days`, `in 5 h`, `in 12 min`, `expired 2 h ago` relative to `now`. */
export function formatExpiry(expiresAt: string, now: Date): string {
  const ms = new Date(expiresAt).getTime() - now.getTime();
  if (Number.isNaN(ms)) return expiresAt;
  const span = (abs: number) => {
    const minutes = Math.round(abs / 60_000);
    if (minutes < 60) return `${Math.max(1, minutes)} min`;
    const hours = Math.round(minutes / 60);
    if (hours < 48) return `${hours} h`;
    return `${Math.round(hours / 24)} days`;
  };
  return ms >= 0 ? `in ${span(ms)}` : `expired ${span(-ms)} ago`;
}

/** A short description of a browser from its user agent: `Chrome on Linux`. */
export function describeUserAgent(userAgent: string | null | undefined): string {
  if (!userAgent) return 'unknown device';
  const browser = /Edg\//.test(userAgent)
    ? 'Edge'
    : /Firefox\//.test(userAgent)
      ? 'Firefox'
      : /Chrome\/|Chromium\//.test(userAgent)
        ? 'Chrome'
        : /Safari\//.test(userAgent)
          ? 'Safari'
          : /node|undici|curl/i.test(userAgent)
            ? 'a script'
            : 'a browser';
  const os = /Windows/.test(userAgent)
    ? 'Windows'
    : /Android/.test(userAgent)
      ? 'Android'
      : /iPhone|iPad/.test(userAgent)
        ? 'iOS'
        : /Mac OS X/.test(userAgent)
          ? 'macOS'
          : /Linux/.test(userAgent)
            ? 'Linux'
            : '';
  return os ? `${browser} on ${os}` : browser;
}

/** `Berlin, DE`, `DE`, or `—`. */
export function formatPlace(geo: { country: string | null; city: string | null } | null | undefined): string {
  if (!geo) return '—';
  return [geo.city, geo.country].filter(Boolean).join(', ') || '—';
}

/** Logins per day (local dates) from session start times, oldest first, for the last `days` days. */
export function loginsPerDay(
  createdAt: string[],
  now: Date,
  days = 7,
): Array<{ day: string; logins: number }> {
  const keyOf = (d: Date) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
  const out: Array<{ day: string; logins: number }> = [];
  for (let i = days - 1; i >= 0; i--) {
    const d = new Date(now.getFullYear(), now.getMonth(), now.getDate() - i);
    out.push({ day: keyOf(d), logins: 0 });
  }
  const index = new Map(out.map((row, i) => [row.day, i]));
  for (const value of createdAt) {
    const date = new Date(value);
    if (Number.isNaN(date.getTime())) continue;
    const i = index.get(keyOf(date));
    if (i !== undefined) out[i].logins += 1;
  }
  return out;
}
