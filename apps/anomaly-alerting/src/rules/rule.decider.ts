import type { AlertEvent } from '@warden/contracts';
import { CodedError } from '@warden/contracts';
import type { Decider } from '@warden/event-store';
import { applyPatch, DEFAULT_RULE_SETTINGS, type DetectionRule, type RuleSettings, type RuleSettingsPatch } from '../detection/rule-settings';

export enum RuleErrorCode {
  UnknownRule = 'RULE_NOT_FOUND',
  UnknownThreshold = 'RULE_UNKNOWN_THRESHOLD',
}

export class RuleError extends CodedError<RuleErrorCode> {
  constructor(code: RuleErrorCode, message: string) {
    super(code, message, { [RuleErrorCode.UnknownRule]: 404, [RuleErrorCode.UnknownThreshold]: 400 });
  }
}

export type ChangeRule = { type: 'ChangeRule'; rule: DetectionRule; patch: RuleSettingsPatch; changedBy: string };
export type RuleState = { rule: DetectionRule | null; settings: RuleSettings | null };
type RuleChanged = Extract<AlertEvent, { type: 'AlertRuleChanged' }>;

export const ruleStreamId = (rule: DetectionRule): string => `rule-${rule}`;

/** A rule's settings as a stream of AlertRuleChanged events; the audit trail of every change. */
export const ruleDecider: Decider<RuleState, ChangeRule, RuleChanged> = {
  initialState: { rule: null, settings: null },
  decide(command, state) {
    const current = state.settings ?? DEFAULT_RULE_SETTINGS[command.rule];
    const result = applyPatch(command.rule, current, command.patch);
    if ('unknownThresholds' in result) {
      throw new RuleError(
        RuleErrorCode.UnknownThreshold,
        `body.thresholds: ${command.rule} has no threshold ${result.unknownThresholds.join(', ')}`,
      );
    }
    return [
      {
        type: 'AlertRuleChanged',
        data: { rule: command.rule, changedBy: command.changedBy, settings: result.settings as unknown as Record<string, unknown> },
      },
    ];
  },
  evolve(state, event) {
    return { rule: event.data.rule as DetectionRule, settings: event.data.settings as unknown as RuleSettings };
  },
};
