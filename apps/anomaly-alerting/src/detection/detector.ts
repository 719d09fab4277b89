import type { Finding } from './detection.types';
import { evaluate } from './rule-engine';
import type { RuleSettingsMap } from './rule-settings';
import type { Signal } from './signal.types';
import type { DetectionStateStore } from './state/detection-state.store';

/**
 * Signal → state (Redis, atomic and idempotent per event) → pure rules → findings. Framework-free:
 * the consumer and the detection evaluation (`npm run eval:detection`) both drive it.
 */
export class Detector {
  constructor(private readonly state: DetectionStateStore) {}

  async detect(signal: Signal, settings: RuleSettingsMap): Promise<Finding[]> {
    switch (signal.kind) {
      case 'login-succeeded':
        return evaluate({ kind: signal.kind, signal, state: await this.state.loginSucceeded(signal, settings) }, settings);
      case 'login-failed':
        return evaluate({ kind: signal.kind, signal, state: await this.state.loginFailed(signal, settings) }, settings);
      case 'export-requested':
        await this.state.exportRequested(signal);
        return [];
      case 'export-completed':
        return evaluate({ kind: signal.kind, signal, state: await this.state.exportCompleted(signal, settings) }, settings);
      case 'export-downloaded':
        return evaluate({ kind: signal.kind, signal, state: await this.state.exportDownloaded(signal) }, settings);
      case 'customers-accessed': {
        const findings = evaluate(
          { kind: signal.kind, signal, state: await this.state.customersAccessed(signal, settings) },
          settings,
        );
        if (findings.some((f) => f.rule === 'mass-viewing')) await this.state.markAnomalousDay(signal.userId, signal.at, settings);
        return findings;
      }
      case 'access-denied':
        return evaluate({ kind: signal.kind, signal, state: await this.state.accessDenied(signal, settings) }, settings);
      case 'user-status':
        await this.state.userStatus(signal);
        return [];
      default: {
        const unknown: never = signal;
        throw new Error(`unknown signal ${(unknown as { kind: string }).kind}`);
      }
    }
  }
}
