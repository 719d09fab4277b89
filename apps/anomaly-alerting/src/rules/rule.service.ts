import { Injectable } from '@nestjs/common';
import { type CommandMetadata, EventStore } from '@warden/event-store';
import { DEFAULT_RULE_SETTINGS, DETECTION_RULES, type DetectionRule, type RuleSettings, type RuleSettingsPatch } from '../detection/rule-settings';
import { ruleDecider, ruleStreamId } from './rule.decider';
import { RuleSettingsService } from './rule-settings.service';

export type RuleView = RuleSettings & { id: DetectionRule; defaults: RuleSettings };

@Injectable()
export class RuleService {
  constructor(
    private readonly store: EventStore,
    private readonly settings: RuleSettingsService,
  ) {}

  async list(): Promise<RuleView[]> {
    this.settings.invalidate();
    const current = await this.settings.current();
    return DETECTION_RULES.map((id) => ({ id, ...current[id], defaults: DEFAULT_RULE_SETTINGS[id] }));
  }

  async change(rule: DetectionRule, patch: RuleSettingsPatch, metadata: CommandMetadata): Promise<RuleView> {
    await this.store.handle(
      ruleStreamId(rule),
      ruleDecider,
      { type: 'ChangeRule', rule, patch, changedBy: metadata.actor.userId },
      { metadata },
    );
    this.settings.invalidate();
    const current = await this.settings.current();
    return { id: rule, ...current[rule], defaults: DEFAULT_RULE_SETTINGS[rule] };
  }
}
