import type { Finding, RuleInput } from './detection.types';
import type { RuleSettingsMap } from './rule-settings';
import { departingAccessRule, massViewingRule } from './rules/access.rules';
import { bulkExportRule, clearSensitiveExportRule, departingExportRule, downloadIpMismatchRule } from './rules/export.rules';
import { accessDeniedBurstRule, bruteForceRule, passwordSprayRule } from './rules/failure.rules';
import { LOGIN_RULES } from './rules/login.rules';

const present = (findings: ReadonlyArray<Finding | null>): Finding[] => findings.filter((f): f is Finding => f !== null);

/**
 * The pure rule engine: every rule that applies to the input's kind, given the state read from
 * Redis and the current settings. No clock, no I/O: the same input always gives the same findings.
 */
export function evaluate(input: RuleInput, settings: RuleSettingsMap): Finding[] {
  switch (input.kind) {
    case 'login-succeeded':
      return present(LOGIN_RULES.map((rule) => rule({ signal: input.signal, state: input.state, settings })));
    case 'login-failed':
      return present([bruteForceRule({ ...input, settings }), passwordSprayRule({ ...input, settings })]);
    case 'export-completed':
      return present([
        bulkExportRule({ ...input, settings }),
        clearSensitiveExportRule({ ...input, settings }),
        departingExportRule({ ...input, settings }),
      ]);
    case 'export-downloaded':
      return present([downloadIpMismatchRule({ ...input, settings })]);
    case 'customers-accessed':
      return present([massViewingRule({ ...input, settings }), departingAccessRule({ ...input, settings })]);
    case 'access-denied':
      return present([accessDeniedBurstRule({ ...input, settings })]);
    default: {
      const unknown: never = input;
      throw new Error(`no rules for ${(unknown as { kind: string }).kind}`);
    }
  }
}
