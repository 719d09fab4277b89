import { Injectable } from '@nestjs/common';
import { EventStore, quoteSchema } from '@warden/event-store';
import { DataSource } from 'typeorm';
import { type DetectionRule, type RuleSettings, type RuleSettingsMap, settingsWith } from '../detection/rule-settings';

/** How long an instance trusts its copy of the settings; a change through another instance is seen within it. */
export const SETTINGS_REFRESH_MS = 1000;

/** The current rule settings: defaults overlaid with `rule_settings`, cached for one second. */
@Injectable()
export class RuleSettingsService {
  private cached: { at: number; settings: RuleSettingsMap } | null = null;
  private loading: Promise<RuleSettingsMap> | null = null;

  constructor(
    private readonly dataSource: DataSource,
    private readonly store: EventStore,
  ) {}

  private get table(): string {
    return `${quoteSchema(this.store.schema)}.rule_settings`;
  }

  async current(): Promise<RuleSettingsMap> {
    if (this.cached && Date.now() - this.cached.at < SETTINGS_REFRESH_MS) return this.cached.settings;
    this.loading ??= this.load().finally(() => {
      this.loading = null;
    });
    return this.loading;
  }

  /** Forget the cache (after a change through this instance). */
  invalidate(): void {
    this.cached = null;
  }

  private async load(): Promise<RuleSettingsMap> {
    const rows: Array<{ rule: DetectionRule; settings: RuleSettings }> = await this.dataSource.query(
      `SELECT rule, settings FROM ${this.table}`,
    );
    const settings = settingsWith(Object.fromEntries(rows.map((r) => [r.rule, r.settings])));
    this.cached = { at: Date.now(), settings };
    return settings;
  }
}
