import { Injectable } from '@nestjs/common';
import { quoteSchema } from '@warden/event-store';
import { DataSource } from 'typeorm';
import type { DirectoryTeam } from '../export/export-policy.util';
import { EventStore } from '@warden/event-store';

/** A user's name as the directory has it from authorization's events (null until it has seen them). */
export type DirectoryName = { username: string | null; displayName: string | null };

/** Reads of the local directory (users, teams, open alerts) fed by the authorization and alert topics. */
@Injectable()
export class DirectoryService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly store: EventStore,
  ) {}

  private get s(): string {
    return quoteSchema(this.store.schema);
  }

  async isDeparting(userId: string): Promise<boolean> {
    const rows: Array<{ status: string }> = await this.dataSource.query(`SELECT status FROM ${this.s}.directory_users WHERE user_id = $1`, [userId]);
    return rows[0]?.status === 'departing';
  }

  async openAlerts(userId: string): Promise<number> {
    const rows: Array<{ n: string }> = await this.dataSource.query(`SELECT count(*) AS n FROM ${this.s}.open_alerts WHERE user_id = $1`, [userId]);
    return Number(rows[0]?.n ?? 0);
  }

  /** Every team (the hierarchy is small: walked in memory). */
  async teams(): Promise<Map<string, DirectoryTeam>> {
    const rows: Array<{ team_id: string; parent_id: string | null; supervisor_id: string | null }> = await this.dataSource.query(
      `SELECT team_id, parent_id, supervisor_id FROM ${this.s}.directory_teams`,
    );
    return new Map(rows.map((r) => [r.team_id, { teamId: r.team_id, parentId: r.parent_id, supervisorId: r.supervisor_id }]));
  }

  /** The usernames and display names the directory knows of these users (absent: not known yet). */
  async namesOf(userIds: readonly string[]): Promise<Map<string, DirectoryName>> {
    if (userIds.length === 0) return new Map();
    const rows: Array<{ user_id: string; username: string | null; display_name: string | null }> = await this.dataSource.query(
      `SELECT user_id, username, display_name FROM ${this.s}.directory_users WHERE user_id = ANY($1::text[])`,
      [[...new Set(userIds)]],
    );
    return new Map(rows.map((r) => [r.user_id, { username: r.username, displayName: r.display_name }]));
  }

  /** The team the directory knows for a user (null when unknown). */
  async teamOf(userId: string): Promise<string | null> {
    const rows: Array<{ team_id: string | null }> = await this.dataSource.query(`SELECT team_id FROM ${this.s}.directory_users WHERE user_id = $1`, [userId]);
    return rows[0]?.team_id ?? null;
  }
}
