/**
 * `npm run eval:detection`: runs the labelled scenario through the detector (the service's rules
 * and its Redis state, on the real Redis of REDIS_URL under a key prefix of its own, removed
 * after) and prints precision, recall and time-to-detect per rule. Findings are grouped into alerts
 * as the service does (one per rule and subject within the rule's window).
 * Goals on the default mix: recall ≥ 0.95 and precision ≥ 0.9 for every rule; exit 1 otherwise.
 */
import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { Detector } from '../../apps/anomaly-alerting/src/detection/detector';
import type { Finding } from '../../apps/anomaly-alerting/src/detection/detection.types';
import { DEFAULT_RULE_SETTINGS, DETECTION_RULES } from '../../apps/anomaly-alerting/src/detection/rule-settings';
import { DetectionStateStore } from '../../apps/anomaly-alerting/src/detection/state/detection-state.store';
import { generateScenario, type Label } from './scenario.generator';

type Alert = { rule: string; subject: string; firstAt: number; lastAt: number };

async function main(): Promise<void> {
  const redis = new Redis(process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379');
  const prefix = `warden:aa-eval:${randomBytes(4).toString('hex')}:`;
  const detector = new Detector(new DetectionStateStore(redis, { prefix, memoTtlSeconds: 3600, committedMemoTtlSeconds: 60 }));
  const scenario = generateScenario({ seed: Number(process.env['SEED'] ?? 7) });
  const findings: Finding[] = [];
  const started = Date.now();
  try {
    for (const signal of scenario.signals) findings.push(...(await detector.detect(signal, DEFAULT_RULE_SETTINGS)));
  } finally {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      if (keys.length) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
    redis.disconnect();
  }
  const seconds = (Date.now() - started) / 1000;

  const alerts: Alert[] = [];
  const open = new Map<string, Alert>();
  for (const f of findings) {
    const key = `${f.rule}|${f.subject}`;
    const current = open.get(key);
    const window = DEFAULT_RULE_SETTINGS[f.rule].windowSeconds * 1000;
    if (current && f.at - current.lastAt <= window) current.lastAt = f.at;
    else {
      const alert = { rule: f.rule, subject: f.subject, firstAt: f.at, lastAt: f.at };
      alerts.push(alert);
      open.set(key, alert);
    }
  }
  const matches = (l: Label, rule: string, subject: string, at: number) =>
    l.rule === rule && l.subject === subject && at >= l.startAt && at <= l.endAt + DEFAULT_RULE_SETTINGS[l.rule].windowSeconds * 1000;

  console.log(`scenario: ${scenario.users} users, ${scenario.days} days, ${scenario.signals.length} events, ${scenario.labels.length} labelled attacks; ${Math.round(scenario.signals.length / seconds)} events/s through the detector\n`);
  console.log('rule                       alerts   TP   FP  labels  found  precision  recall  time-to-detect (median / max)');
  let failed = false;
  for (const rule of DETECTION_RULES) {
    const mine = alerts.filter((a) => a.rule === rule);
    const tp = mine.filter((a) => scenario.labels.some((l) => matches(l, rule, a.subject, a.firstAt))).length;
    const labels = scenario.labels.filter((l) => l.rule === rule);
    const delays: number[] = [];
    for (const l of labels) {
      const first = findings.find((f) => matches(l, f.rule, f.subject, f.at));
      if (first) delays.push(first.at - l.startAt);
    }
    const precision = mine.length ? tp / mine.length : labels.length ? 0 : 1;
    const recall = labels.length ? delays.length / labels.length : 1;
    delays.sort((a, b) => a - b);
    const fmt = (ms: number | undefined) => (ms === undefined ? '-' : `${Math.round(ms / 1000)} s`);
    const ok = precision >= 0.9 && recall >= 0.95;
    failed ||= !ok;
    console.log(
      `${rule.padEnd(26)} ${String(mine.length).padStart(6)} ${String(tp).padStart(4)} ${String(mine.length - tp).padStart(4)} ${String(labels.length).padStart(7)} ${String(delays.length).padStart(6)} ${precision.toFixed(2).padStart(10)} ${recall.toFixed(2).padStart(7)}  ${fmt(delays[Math.floor(delays.length / 2)])} / ${fmt(delays[delays.length - 1])}${ok ? '' : '   <- below goal'}`,
    );
  }
  console.log(`\ngoals: precision ≥ 0.90, recall ≥ 0.95 per rule: ${failed ? 'NOT MET' : 'met'}`);
  process.exitCode = failed ? 1 : 0;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
