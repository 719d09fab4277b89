import { randomUUID } from 'node:crypto';
import type { Finding, RuleInput } from '../detection/detection.types';
import { evaluate } from '../detection/rule-engine';
import { DEFAULT_RULE_SETTINGS, type DetectionRule, type RuleSettings, type RuleSettingsMap } from '../detection/rule-settings';

export const DAY_MS = 24 * 3600 * 1000;
/** 2026-03-02 10:00 UTC, a Monday. */
export const T0 = Date.UTC(2026, 2, 2, 10, 0, 0);
export const USER = '0197a8e0-0000-7000-8000-000000000001';

export const settingsWith = (rule: DetectionRule, change: Partial<RuleSettings>): RuleSettingsMap => ({
  ...DEFAULT_RULE_SETTINGS,
  [rule]: {
    ...DEFAULT_RULE_SETTINGS[rule],
    ...change,
    thresholds: { ...DEFAULT_RULE_SETTINGS[rule].thresholds, ...(change.thresholds ?? {}) },
  },
});

/** given(state).when(signal).then(findings of one rule) */
export function given<I extends RuleInput>(state: I['state'], settings: RuleSettingsMap = DEFAULT_RULE_SETTINGS) {
  return {
    when: (kind: I['kind'], signal: I['signal']) => {
      const findings = evaluate({ kind, signal, state } as RuleInput, settings);
      const of = (rule: DetectionRule): Finding[] => findings.filter((f) => f.rule === rule);
      return {
        findings,
        then: (rule: DetectionRule) => of(rule),
        fires: (rule: DetectionRule): Finding => {
          const found = of(rule);
          if (found.length !== 1) throw new Error(`expected ${rule} to fire once, got ${JSON.stringify(findings)}`);
          return found[0];
        },
        doesNotFire: (rule: DetectionRule): void => {
          if (of(rule).length) throw new Error(`expected ${rule} not to fire, got ${JSON.stringify(of(rule))}`);
        },
      };
    },
  };
}

export const eventId = (): string => randomUUID();
