import { stringify } from 'csv-stringify/sync';
import type { AuditReport } from './report-builder.util';

const esc = (value: unknown): string =>
  String(value).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);

/** A vertical bar chart (one bar group per day) as inline SVG: readable on screen and paper. */
function dailyChart(report: AuditReport, series: Array<{ key: 'logins' | 'loginFailures' | 'exports' | 'reveals' | 'alerts'; label: string; fill: string }>): string {
  const width = 720;
  const height = 180;
  const pad = 28;
  const days = report.daily;
  const max = Math.max(1, ...days.flatMap((d) => series.map((s) => d[s.key])));
  const slot = (width - pad * 2) / Math.max(1, days.length);
  const bar = Math.max(1, (slot - 2) / series.length);
  const bars = days
    .flatMap((d, i) =>
      series.map((s, j) => {
        const h = ((height - pad * 2) * d[s.key]) / max;
        const x = pad + i * slot + j * bar;
        return `<rect x="${x.toFixed(1)}" y="${(height - pad - h).toFixed(1)}" width="${(bar - 0.5).toFixed(1)}" height="${h.toFixed(1)}" fill="${s.fill}"><title>${esc(d.day)} ${esc(s.label)}: ${d[s.key]}</title></rect>`;
      }),
    )
    .join('');
  const labels = days
    .filter((_, i) => i % 7 === 0)
    .map((d) => {
      const i = days.indexOf(d);
      return `<text x="${(pad + i * slot).toFixed(1)}" y="${height - 10}" font-size="9">${esc(d.day.slice(5))}</text>`;
    })
    .join('');
  const legend = series
    .map((s, i) => `<rect x="${pad + i * 110}" y="4" width="10" height="10" fill="${s.fill}"/><text x="${pad + 14 + i * 110}" y="13" font-size="10">${esc(s.label)}</text>`)
    .join('');
  return `<svg role="img" viewBox="0 0 ${width} ${height}" width="100%" xmlns="http://www.w3.org/2000/svg">
<line x1="${pad}" y1="${height - pad}" x2="${width - pad}" y2="${height - pad}" stroke="#333"/>
<text x="2" y="${pad}" font-size="9">${max}</text>${legend}${bars}${labels}</svg>`;
}

/** A horizontal bar chart of labelled counts as inline SVG. */
function barChart(entries: Array<[string, number]>, fill: string): string {
  if (entries.length === 0) return '<p>None.</p>';
  const width = 720;
  const row = 20;
  const height = entries.length * row + 10;
  const max = Math.max(1, ...entries.map(([, n]) => n));
  const bars = entries
    .map(([label, n], i) => {
      const w = ((width - 260) * n) / max;
      const y = 5 + i * row;
      return `<text x="0" y="${y + 13}" font-size="11">${esc(label)}</text><rect x="200" y="${y}" width="${w.toFixed(1)}" height="14" fill="${fill}"/><text x="${(205 + w).toFixed(1)}" y="${y + 12}" font-size="11">${n}</text>`;
    })
    .join('');
  return `<svg role="img" viewBox="0 0 ${width} ${height}" width="100%" xmlns="http://www.w3.org/2000/svg">${bars}</svg>`;
}

const table = (head: string[], rows: Array<Array<string | number | null>>): string =>
  `<table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${esc(c ?? '—')}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;

/** The printable HTML report (charts are server-rendered SVG; no script, no external resource). */
export function renderReportHtml(report: AuditReport): string {
  const v = report.chainVerification;
  const verification = v
    ? `<p class="${v.ok ? 'ok' : 'bad'}">${v.ok ? 'Verified: every hash chain and checkpoint holds' : `VERIFICATION FAILED: ${v.problemCount} problem(s)`} — ${v.eventsChecked} events, tree size ${v.treeSize}, at ${esc(v.verifiedAt)}.</p>`
    : '<p class="bad">No verification has been run.</p>';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Warden audit report ${esc(report.period)}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2rem;color:#111;max-width:60rem}
h1{font-size:1.5rem}h2{font-size:1.1rem;margin-top:1.5rem;border-bottom:1px solid #999}
table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #999;padding:.2rem .5rem;text-align:left;font-size:.85rem}
.kpis{display:grid;grid-template-columns:repeat(4,1fr);gap:.5rem}.kpi{border:1px solid #999;padding:.5rem}.kpi b{display:block;font-size:1.3rem}
.ok{color:#064}.bad{color:#a00;font-weight:bold}
@media print{body{margin:0;max-width:none}h2{break-after:avoid}svg,table{break-inside:avoid}}
</style></head><body>
<h1>Warden audit report — ${esc(report.period)}</h1>
<p>From ${esc(report.from)} to ${esc(report.to)} (UTC). Generated ${esc(report.generatedAt)}.</p>
<div class="kpis">
<div class="kpi">Logins<b>${report.logins.succeeded}</b>${report.logins.failed} failed</div>
<div class="kpi">Unusual logins<b>${report.unusualLogins.total}</b></div>
<div class="kpi">Exports<b>${report.exports.completed}</b>${report.exports.rows} rows</div>
<div class="kpi">Clear-field reveals<b>${report.reveals.total}</b></div>
</div>
<h2>Activity per day</h2>
${dailyChart(report, [
  { key: 'logins', label: 'logins', fill: '#2a6' },
  { key: 'loginFailures', label: 'login failures', fill: '#c33' },
  { key: 'exports', label: 'exports', fill: '#36c' },
  { key: 'alerts', label: 'alerts', fill: '#e90' },
])}
<h2>Logins</h2>
${table(['succeeded', 'failed', 'distinct users'], [[report.logins.succeeded, report.logins.failed, report.logins.distinctUsers]])}
${table(['failure reason', 'count'], Object.entries(report.logins.failuresByReason))}
<h2>Unusual logins</h2>
${barChart(Object.entries(report.unusualLogins.byRule), '#e90')}
<h2>Exports</h2>
${table(['requested', 'needed approval', 'completed', 'rows', 'with clear fields', 'downloads'], [[report.exports.requested, report.exports.approvalRequired, report.exports.completed, report.exports.rows, report.exports.withClearFields, report.exports.downloads]])}
<h2>Clear-field reveals</h2>
${barChart(Object.entries(report.reveals.byField), '#936')}
<h2>Grants</h2>
${table(['requested', 'issued', 'expired', 'revoked'], [[report.grants.requested, report.grants.issued, report.grants.expired, report.grants.revoked]])}
<h2>Alerts by rule and resolution</h2>
${barChart(report.alerts.byRule.map((a) => [a.rule, a.raised]), '#e90')}
${table(['rule', 'raised', 'resolved', 'false positive'], report.alerts.byRule.map((a) => [a.rule, a.raised, a.resolved, a.falsePositive]))}
<h2>Offboardings</h2>
${table(['requested', 'completed', 'average hours', 'median hours', 'max hours'], [[report.offboardings.requested, report.offboardings.completed, report.offboardings.durationHours.average, report.offboardings.durationHours.median, report.offboardings.durationHours.max]])}
${table(['case', 'user', 'requested', 'completed', 'hours'], report.offboardings.cases.map((c) => [c.caseId, c.userId, c.requestedAt, c.completedAt, c.hours]))}
<h2>Customer data viewed</h2>
${table(['customer views', 'lists and searches'], [[report.views.customerViews, report.views.listings]])}
<h2>Chain verification</h2>
${verification}
</body></html>
`;
}

/** The report as CSV: one `section,metric,value` line per figure. */
export function renderReportCsv(report: AuditReport): string {
  const rows: Array<[string, string, string | number]> = [
    ['report', 'period', report.period],
    ['report', 'from', report.from],
    ['report', 'to', report.to],
    ['report', 'generatedAt', report.generatedAt],
    ['logins', 'succeeded', report.logins.succeeded],
    ['logins', 'failed', report.logins.failed],
    ['logins', 'distinctUsers', report.logins.distinctUsers],
    ...Object.entries(report.logins.failuresByReason).map(([k, n]): [string, string, number] => ['loginFailures', k, n]),
    ['unusualLogins', 'total', report.unusualLogins.total],
    ...Object.entries(report.unusualLogins.byRule).map(([k, n]): [string, string, number] => ['unusualLogins', k, n]),
    ...Object.entries(report.exports).map(([k, n]): [string, string, number] => ['exports', k, n]),
    ['reveals', 'total', report.reveals.total],
    ...Object.entries(report.reveals.byField).map(([k, n]): [string, string, number] => ['reveals', k, n]),
    ...Object.entries(report.grants).map(([k, n]): [string, string, number] => ['grants', k, n]),
    ['alerts', 'raised', report.alerts.raised],
    ...report.alerts.byRule.flatMap((a): Array<[string, string, number]> => [
      ['alerts', `${a.rule}.raised`, a.raised],
      ['alerts', `${a.rule}.resolved`, a.resolved],
      ['alerts', `${a.rule}.falsePositive`, a.falsePositive],
    ]),
    ['offboardings', 'requested', report.offboardings.requested],
    ['offboardings', 'completed', report.offboardings.completed],
    ['offboardings', 'averageHours', report.offboardings.durationHours.average ?? ''],
    ['offboardings', 'medianHours', report.offboardings.durationHours.median ?? ''],
    ['offboardings', 'maxHours', report.offboardings.durationHours.max ?? ''],
    ['views', 'customerViews', report.views.customerViews],
    ['views', 'listings', report.views.listings],
    ['chainVerification', 'ok', report.chainVerification ? String(report.chainVerification.ok) : 'not run'],
    ['chainVerification', 'problemCount', report.chainVerification?.problemCount ?? ''],
  ];
  return stringify([['section', 'metric', 'value'], ...rows]);
}
