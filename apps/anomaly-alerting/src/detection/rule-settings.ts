import { alertResponseSchema, severitySchema, type AlertResponse, type AlertRule, type Severity } from '@warden/contracts';
import { z } from 'zod';

/** The rules this service evaluates (`audit-chain-broken` belongs to the audit service's findings). */
export const DETECTION_RULES = [
  'bulk-export',
  'clear-sensitive-export',
  'mass-viewing',
  'new-device',
  'new-country',
  'new-network',
  'impossible-travel',
  'off-hours-login',
  'brute-force',
  'password-spray',
  'access-denied-burst',
  'departing-user-activity',
  'download-ip-mismatch',
] as const satisfies readonly AlertRule[];
export type DetectionRule = (typeof DETECTION_RULES)[number];
export const detectionRuleSchema = z.enum(DETECTION_RULES);

/**
 * A rule's settings. `windowSeconds` is both the rule's counting window (where it counts) and its
 * dedupe window: a repeat for the same subject within it updates the open alert.
 */
export type RuleSettings = {
  enabled: boolean;
  severity: Severity;
  windowSeconds: number;
  thresholds: Record<string, number>;
  response: AlertResponse[];
};

export type RuleSettingsMap = Record<DetectionRule, RuleSettings>;

/** Longest window a rule may use: the windows live in Redis for 24 h (exports for 15 days). */
export const MAX_WINDOW_SECONDS = 24 * 3600;

const DAY = 24 * 3600;

/** The defaults; README.md gives the reasoning behind each number. */
export const DEFAULT_RULE_SETTINGS: RuleSettingsMap = {
  'bulk-export': {
    enabled: true,
    severity: 'high',
    windowSeconds: 3600,
    thresholds: { absoluteRows: 5000, baselineMultiplier: 1, minRows: 500 },
    response: [],
  },
  'clear-sensitive-export': {
    enabled: true,
    severity: 'high',
    windowSeconds: 3600,
    thresholds: { minClearFields: 1, minRows: 1 },
    response: [],
  },
  'mass-viewing': {
    enabled: true,
    severity: 'high',
    windowSeconds: 600,
    thresholds: { minCustomers: 150, baselineMultiplier: 3, absoluteCustomers: 1000, learningDays: 3, baselineDays: 14 },
    response: [],
  },
  'new-device': {
    enabled: true,
    severity: 'low',
    windowSeconds: DAY,
    thresholds: { learningLogins: 10, learningDays: 7 },
    response: [],
  },
  'new-country': {
    enabled: true,
    severity: 'high',
    windowSeconds: DAY,
    thresholds: { learningLogins: 10, learningDays: 7 },
    response: [],
  },
  'new-network': {
    enabled: true,
    severity: 'medium',
    windowSeconds: DAY,
    thresholds: { learningLogins: 10, learningDays: 7 },
    response: [],
  },
  'impossible-travel': {
    enabled: true,
    severity: 'high',
    windowSeconds: DAY,
    thresholds: { maxSpeedKmh: 900, minDistanceKm: 500 },
    response: [],
  },
  'off-hours-login': {
    enabled: true,
    severity: 'low',
    windowSeconds: DAY,
    thresholds: { learningLogins: 20, minHourShare: 0.01 },
    response: [],
  },
  'brute-force': {
    enabled: true,
    severity: 'medium',
    windowSeconds: 600,
    thresholds: { failures: 10 },
    response: [],
  },
  'password-spray': {
    enabled: true,
    severity: 'high',
    windowSeconds: 900,
    thresholds: { distinctUsers: 10 },
    response: [],
  },
  'access-denied-burst': {
    enabled: true,
    severity: 'medium',
    windowSeconds: 300,
    thresholds: { denials: 20 },
    response: [],
  },
  'departing-user-activity': {
    enabled: true,
    severity: 'high',
    windowSeconds: 3600,
    thresholds: { exportRows: 1, reveals: 3, minCustomers: 50, baselineMultiplier: 1.5 },
    response: [],
  },
  'download-ip-mismatch': {
    enabled: true,
    severity: 'medium',
    windowSeconds: DAY,
    thresholds: { countryOnly: 0 },
    response: [],
  },
};

/** The threshold names each rule understands (a PUT naming another is refused). */
export const THRESHOLD_NAMES: Record<DetectionRule, readonly string[]> = Object.fromEntries(
  DETECTION_RULES.map((rule) => [rule, Object.keys(DEFAULT_RULE_SETTINGS[rule].thresholds)]),
) as unknown as Record<DetectionRule, readonly string[]>;

/** `PUT /v1/rules/:id`: any subset of the settings; thresholds are merged over the current ones. */
export const ruleSettingsPatchSchema = z.strictObject({
  enabled: z.boolean().optional(),
  severity: severitySchema.optional(),
  windowSeconds: z.number().int().min(10).max(MAX_WINDOW_SECONDS).optional(),
  thresholds: z.record(z.string().regex(/^[a-zA-Z]{1,50}$/), z.number().finite().min(0).max(1e9)).optional(),
  response: z.array(alertResponseSchema).max(3).optional(),
});
export type RuleSettingsPatch = z.infer<typeof ruleSettingsPatchSchema>;

/** A rule's settings after a patch, or the names of the thresholds it does not know. */
export function applyPatch(
  rule: DetectionRule,
  current: RuleSettings,
  patch: RuleSettingsPatch,
): { settings: RuleSettings } | { unknownThresholds: string[] } {
  const unknown = Object.keys(patch.thresholds ?? {}).filter((name) => !THRESHOLD_NAMES[rule].includes(name));
  if (unknown.length) return { unknownThresholds: unknown };
  return {
    settings: {
      enabled: patch.enabled ?? current.enabled,
      severity: patch.severity ?? current.severity,
      windowSeconds: patch.windowSeconds ?? current.windowSeconds,
      thresholds: { ...current.thresholds, ...(patch.thresholds ?? {}) },
      response: patch.response ? [...new Set(patch.response)] : current.response,
    },
  };
}

/** Current settings: the defaults with the stored changes laid over them. */
export function settingsWith(changes: Partial<Record<DetectionRule, RuleSettings>>): RuleSettingsMap {
  const out = { ...DEFAULT_RULE_SETTINGS };
  for (const rule of DETECTION_RULES) {
    const changed = changes[rule];
    if (changed) out[rule] = { ...changed, thresholds: { ...DEFAULT_RULE_SETTINGS[rule].thresholds, ...changed.thresholds } };
  }
  return out;
}
