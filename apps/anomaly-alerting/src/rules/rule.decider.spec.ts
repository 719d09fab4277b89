import { DEFAULT_RULE_SETTINGS } from '../detection/rule-settings';
import { RuleErrorCode, ruleDecider } from './rule.decider';

describe('Rule decider', () => {
  it('records the whole settings after a change, merged over the defaults', () => {
    const [event] = ruleDecider.decide(
      { type: 'ChangeRule', rule: 'brute-force', patch: { thresholds: { failures: 3 }, response: ['end-sessions'] }, changedBy: 'so-1' },
      ruleDecider.initialState,
    );
    expect(event).toEqual({
      type: 'AlertRuleChanged',
      data: {
        rule: 'brute-force',
        changedBy: 'so-1',
        settings: { ...DEFAULT_RULE_SETTINGS['brute-force'], thresholds: { failures: 3 }, response: ['end-sessions'] },
      },
    });
  });

  it('builds on the previous change', () => {
    const first = ruleDecider.decide(
      { type: 'ChangeRule', rule: 'bulk-export', patch: { thresholds: { absoluteRows: 100 } }, changedBy: 'a' },
      ruleDecider.initialState,
    );
    const state = first.reduce(ruleDecider.evolve, ruleDecider.initialState);
    const [second] = ruleDecider.decide({ type: 'ChangeRule', rule: 'bulk-export', patch: { enabled: false }, changedBy: 'b' }, state);
    expect(second.data.settings).toMatchObject({ enabled: false, thresholds: { absoluteRows: 100, minRows: 500, baselineMultiplier: 1 } });
  });

  it('refuses a threshold the rule does not have, naming it', () => {
    expect(() =>
      ruleDecider.decide(
        { type: 'ChangeRule', rule: 'brute-force', patch: { thresholds: { rows: 1 } }, changedBy: 'a' },
        ruleDecider.initialState,
      ),
    ).toThrow(expect.objectContaining({ code: RuleErrorCode.UnknownThreshold, message: expect.stringContaining('rows') }));
  });
});
