import { Inject, Injectable } from '@nestjs/common';
import { exportStreamId, type ApprovalReason } from '@warden/contracts';
import { EventStore, quoteSchema, type CommandMetadata } from '@warden/event-store';
import type { KeyProvider } from '@warden/crypto';
import { CONFIG } from '@warden/platform';
import { ForbiddenError, maskValue, SENSITIVE_CUSTOMER_FIELDS, type Policy, type Principal } from '@warden/security';
import { DataSource, type EntityManager } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import type { ExportsConfig } from '../core/config';
import { CustomerRecordsClient } from '../core/customer-records.client';
import { StepUpVerifier } from '../core/step-up.verifier';
import { openBox, sealBox } from '../core/sealed-box.util';
import { KEY_PROVIDER } from '../core/tokens';
import { DirectoryService } from '../directory/directory.service';
import { ExportQueueSignal } from '../generation/export-queue.signal';
import type { ExportCommand } from './export.commands';
import { CANCELLABLE, exportDecider, type ExportStatus } from './export.decider';
import type { CancelBody, DecisionBody, ExportView, ListExportsQuery, RequestExportBody, TeamPolicyBody } from './export.dto';
import { ExportError, ExportErrorCode } from './export.exception';
import { ExportFiles } from './export-files';
import {
  approvalReasons,
  approverAuthority,
  settingsForTeam,
  supervisorsUpTheHierarchy,
  utcDayStart,
  DEFAULT_APPROVAL_POLICY,
  type ApprovalPolicySettings,
} from './export-policy.util';
import { geoOfIp } from './geo.util';

export type ExportRow = {
  export_id: string;
  requester_id: string;
  team_id: string | null;
  status: ExportStatus;
  format: string;
  fields: string[];
  clear_fields: string[];
  filter: Record<string, unknown>;
  reason: string;
  estimated_rows: number;
  approval_reasons: string[];
  approval_expires_at: Date | null;
  approver_id: string | null;
  decision_comment: string | null;
  decided_at: Date | null;
  attempt: number;
  rows_done: number;
  rows_total: number;
  row_count: number | null;
  bytes: string | null;
  fingerprint_id: string | null;
  created_at: Date;
  started_at: Date | null;
  completed_at: Date | null;
  downloaded_at: Date | null;
  cancelled_at: Date | null;
};

const SENSITIVE_FILTERS = new Set(['mobile', 'email', 'nationalId']);
const SENSITIVE: ReadonlySet<string> = new Set(SENSITIVE_CUSTOMER_FIELDS);
const iso = (date: Date | null): string | null => (date ? date.toISOString() : null);

export function toView(row: ExportRow): ExportView {
  return {
    id: row.export_id,
    status: row.status,
    requesterId: row.requester_id,
    teamId: row.team_id,
    format: row.format,
    fields: row.fields,
    clearFields: row.clear_fields,
    filter: row.filter,
    reason: row.reason,
    estimatedRows: row.estimated_rows,
    approvalRequired: row.approval_reasons.length > 0,
    approvalReasons: row.approval_reasons,
    approvalExpiresAt: iso(row.approval_expires_at),
    approverId: row.approver_id,
    decisionComment: row.decision_comment,
    progress: { rowsDone: row.rows_done, rowsTotal: row.rows_total },
    rowCount: row.row_count,
    bytes: row.bytes === null ? null : Number(row.bytes),
    createdAt: row.created_at.toISOString(),
    decidedAt: iso(row.decided_at),
    startedAt: iso(row.started_at),
    completedAt: iso(row.completed_at),
    downloadedAt: iso(row.downloaded_at),
    cancelledAt: iso(row.cancelled_at),
  };
}

@Injectable()
export class ExportService {
  constructor(
    @Inject(CONFIG) private readonly config: ExportsConfig,
    private readonly store: EventStore,
    private readonly dataSource: DataSource,
    private readonly customers: CustomerRecordsClient,
    private readonly directory: DirectoryService,
    private readonly stepUp: StepUpVerifier,
    private readonly files: ExportFiles,
    @Inject(KEY_PROVIDER) private readonly keys: KeyProvider,
    private readonly queue: ExportQueueSignal,
  ) {}

  private get s(): string {
    return quoteSchema(this.store.schema);
  }

  async handle(exportId: string, command: ExportCommand, metadata: CommandMetadata, manager?: EntityManager): Promise<void> {
    await this.store.handle(exportStreamId(exportId), exportDecider, command, { metadata, manager });
  }

  /**
   * A new export request: the requester's policy must allow exporting customers and reading every
   * requested field (403 naming the fields otherwise), and every clear field must be at `clear` for
   * them. The row estimate comes from customer-records with the requester's view applied; the
   * approval policy decides whether it runs at once.
   */
  async request(body: RequestExportBody, principal: Principal, policy: Policy, metadata: CommandMetadata): Promise<ExportView> {
    if (!policy.can('export', 'Customer')) throw new ExportError(ExportErrorCode.NotAllowed, 'you may not export customers');
    const levels = policy.fieldLevels('read', 'Customer', body.fields);
    const hidden = body.fields.filter((field) => levels[field] === 'none');
    if (hidden.length) throw new ExportError(ExportErrorCode.FieldNotAllowed, `you may not read: ${hidden.join(', ')}`);
    const notClear = body.clearFields.filter((field) => levels[field] !== 'clear');
    if (notClear.length) throw new ExportError(ExportErrorCode.FieldNotAllowed, `you may not see in clear: ${notClear.join(', ')}`);

    const exportId = uuidv7();
    const estimatedRows = await this.customers.count({
      onBehalfOf: principal.userId,
      purposeId: exportId,
      filter: body.filter,
      fields: body.fields,
      clearFields: body.clearFields,
    });
    const now = metadata.now;
    const sealed = await sealBox(this.keys, JSON.stringify(body.filter), `filter:${exportId}`);
    await this.dataSource.query(
      `INSERT INTO ${this.s}.export_filters (export_id, kek_version, wrapped_key, payload) VALUES ($1, $2, $3, $4)`,
      [exportId, sealed.kekVersion, sealed.wrappedKey, sealed.payload],
    );
    const reasons = approvalReasons(
      {
        estimatedRows,
        clearSensitiveFields: body.clearFields.filter((field) => SENSITIVE.has(field)),
        rowsEarlierToday: await this.rowsSince(principal.userId, utcDayStart(now)),
        departing: await this.directory.isDeparting(principal.userId),
        openAlerts: await this.directory.openAlerts(principal.userId),
      },
      await this.settingsFor(principal.teamId),
    );
    await this.handle(
      exportId,
      {
        type: 'RequestExport',
        data: {
          exportId,
          requesterId: principal.userId,
          teamId: principal.teamId,
          filter: maskFilter(body.filter),
          fields: body.fields,
          clearFields: body.clearFields,
          format: body.format,
          reason: body.reason,
          estimatedRows,
          geo: await geoOfIp(metadata.actor.ip),
          approvalReasons: reasons as ApprovalReason[],
          approvalExpiresAt: new Date(now.getTime() + this.config.EXPORTS_APPROVAL_TTL_HOURS * 3_600_000).toISOString(),
        },
      },
      metadata,
    );
    return this.viewAfterDecision(exportId);
  }

  /** The export's view; a queued export (it needs no approval, or was just approved) is handed to the worker now. */
  private async viewAfterDecision(exportId: string): Promise<ExportView> {
    const view = toView(await this.row(exportId));
    if (view.status === 'queued') this.queue.ready();
    return view;
  }

  /** The plain filter goes to customer-records; events and the read model keep it masked, this table sealed. */
  async plainFilterOf(exportId: string): Promise<Record<string, unknown>> {
    const rows: Array<{ kek_version: number; wrapped_key: string; payload: string }> = await this.dataSource.query(
      `SELECT kek_version, wrapped_key, payload FROM ${this.s}.export_filters WHERE export_id = $1`,
      [exportId],
    );
    if (!rows[0]) return {};
    const { kek_version: kekVersion, wrapped_key: wrappedKey, payload } = rows[0];
    return JSON.parse(await openBox(this.keys, { kekVersion, wrappedKey, payload }, `filter:${exportId}`)) as Record<string, unknown>;
  }

  async decide(
    exportId: string,
    decision: 'approve' | 'reject',
    body: DecisionBody,
    principal: Principal,
    metadata: CommandMetadata,
  ): Promise<ExportView> {
    const row = await this.row(exportId);
    const teamId = row.team_id ?? (await this.directory.teamOf(row.requester_id));
    const authority = approverAuthority({
      approverId: principal.userId,
      approverRoles: principal.roles,
      requesterId: row.requester_id,
      supervisors: supervisorsUpTheHierarchy(teamId, await this.directory.teams()),
    });
    const now = metadata.now.toISOString();
    if (decision === 'reject') {
      await this.handle(exportId, { type: 'RejectExport', data: { approverId: principal.userId, authority, comment: body.comment, now } }, metadata);
    } else {
      const stepUp = row.clear_fields.length > 0 ? await this.stepUp.verify(body.stepUpToken, principal) : false;
      await this.handle(
        exportId,
        { type: 'ApproveExport', data: { approverId: principal.userId, authority, stepUp, comment: body.comment, now } },
        metadata,
      );
    }
    return this.viewAfterDecision(exportId);
  }

  /** By the requester or a security officer; anyone else gets 404 as if the export did not exist. */
  async cancel(exportId: string, body: CancelBody, principal: Principal, metadata: CommandMetadata): Promise<ExportView> {
    const row = await this.row(exportId);
    const isRequester = row.requester_id === principal.userId;
    const isOfficer = principal.roles.includes('security_officer');
    if (!isRequester && !isOfficer) throw new ExportError(ExportErrorCode.NotFound, `export ${exportId} not found`);
    await this.handle(
      exportId,
      {
        type: 'CancelExport',
        data: { cancelledBy: principal.userId, canceller: isRequester ? 'requester' : 'security_officer', reason: body.reason },
      },
      metadata,
    );
    await this.files.deleteAll(exportId);
    return toView(await this.row(exportId));
  }

  /** Offboarding: every pending, approved, running or completed export of `userId` cancelled. */
  async cancelAllOf(userId: string, reason: string, metadata: CommandMetadata, manager: EntityManager): Promise<string[]> {
    const rows: Array<{ export_id: string }> = await manager.query(
      `SELECT export_id FROM ${this.s}.exports WHERE requester_id = $1 AND status = ANY($2) ORDER BY created_at`,
      [userId, CANCELLABLE],
    );
    for (const { export_id: exportId } of rows) {
      await this.handle(
        exportId,
        { type: 'CancelExport', data: { cancelledBy: metadata.actor.userId, canceller: 'offboarding', reason } },
        metadata,
        manager,
      );
    }
    return rows.map((r) => r.export_id);
  }

  async list(query: ListExportsQuery, principal: Principal): Promise<ExportView[]> {
    if (query.scope === 'mine') {
      const rows: ExportRow[] = await this.dataSource.query(
        `SELECT * FROM ${this.s}.exports WHERE requester_id = $1 ORDER BY created_at DESC LIMIT $2`,
        [principal.userId, query.limit],
      );
      return this.withNames(rows.map(toView));
    }
    const pending: ExportRow[] = await this.dataSource.query(
      `SELECT * FROM ${this.s}.exports WHERE status = 'pending_approval' AND requester_id <> $1 ORDER BY created_at LIMIT 1000`,
      [principal.userId],
    );
    const teams = await this.directory.teams();
    const mine = pending.filter(
      (row) =>
        approverAuthority({
          approverId: principal.userId,
          approverRoles: principal.roles,
          requesterId: row.requester_id,
          supervisors: supervisorsUpTheHierarchy(row.team_id, teams),
        }) !== null,
    );
    return this.withNames(mine.slice(0, query.limit).map(toView));
  }

  /** The views with their requesters' names from the directory (one query for the lot). */
  private async withNames(views: ExportView[]): Promise<ExportView[]> {
    const names = await this.directory.namesOf(views.map((view) => view.requesterId));
    return views.map((view) => {
      const name = names.get(view.requesterId);
      return { ...view, requesterName: name?.displayName ?? null, requesterUsername: name?.username ?? null };
    });
  }

  /**
   * One export: for its requester, a security officer or auditor, or someone who may decide on it
   * (who also sees the requester's recent exports). Anyone else: 404.
   */
  async get(exportId: string, principal: Principal): Promise<ExportView & { requesterHistory?: ExportView[] }> {
    const row = await this.row(exportId);
    const oversight = principal.roles.some((role) => role === 'security_officer' || role === 'auditor');
    const approver =
      approverAuthority({
        approverId: principal.userId,
        approverRoles: principal.roles,
        requesterId: row.requester_id,
        supervisors: supervisorsUpTheHierarchy(row.team_id, await this.directory.teams()),
      }) !== null;
    if (row.requester_id !== principal.userId && !oversight && !approver) {
      throw new ExportError(ExportErrorCode.NotFound, `export ${exportId} not found`);
    }
    const [view] = await this.withNames([toView(row)]);
    if (!approver && !oversight) return view;
    const history: ExportRow[] = await this.dataSource.query(
      `SELECT * FROM ${this.s}.exports WHERE requester_id = $1 AND export_id <> $2 ORDER BY created_at DESC LIMIT 10`,
      [row.requester_id, exportId],
    );
    return { ...view, requesterHistory: history.map(toView) };
  }

  async row(exportId: string, manager: EntityManager = this.dataSource.manager): Promise<ExportRow> {
    const rows: ExportRow[] = await manager.query(`SELECT * FROM ${this.s}.exports WHERE export_id = $1`, [exportId]);
    if (!rows[0]) throw new ExportError(ExportErrorCode.NotFound, `export ${exportId} not found`);
    return rows[0];
  }

  /** Rows the requester exported (or asked to) since `since`, not counting refused or abandoned requests. */
  private async rowsSince(userId: string, since: Date): Promise<number> {
    const rows: Array<{ n: string | null }> = await this.dataSource.query(
      `SELECT sum(coalesce(row_count, estimated_rows)) AS n FROM ${this.s}.exports
       WHERE requester_id = $1 AND created_at >= $2 AND status NOT IN ('rejected', 'cancelled', 'expired', 'failed')`,
      [userId, since],
    );
    return Number(rows[0]?.n ?? 0);
  }

  /** The defaults, then the team's overrides from config, then those set through the admin API. */
  async settingsFor(teamId: string | null): Promise<ApprovalPolicySettings> {
    const defaults: ApprovalPolicySettings = {
      ...DEFAULT_APPROVAL_POLICY,
      rowThreshold: this.config.EXPORTS_ROW_THRESHOLD,
      dailyRowQuota: this.config.EXPORTS_DAILY_ROW_QUOTA,
    };
    const fromConfig = settingsForTeam(teamId, defaults, this.config.EXPORTS_TEAM_POLICIES);
    if (teamId === null) return fromConfig;
    const rows: Array<{ settings: Partial<ApprovalPolicySettings> }> = await this.dataSource.query(
      `SELECT settings FROM ${this.s}.team_policies WHERE team_id = $1`,
      [teamId],
    );
    return { ...fromConfig, ...(rows[0]?.settings ?? {}) };
  }

  async setTeamPolicy(teamId: string, body: TeamPolicyBody, principal: Principal): Promise<ApprovalPolicySettings> {
    if (!principal.roles.includes('security_officer') && !principal.roles.includes('admin')) {
      throw new ForbiddenError('only a security officer or an administrator may change the export policy');
    }
    await this.dataSource.query(
      `INSERT INTO ${this.s}.team_policies (team_id, settings, updated_by) VALUES ($1, $2, $3)
       ON CONFLICT (team_id) DO UPDATE SET settings = EXCLUDED.settings, updated_by = EXCLUDED.updated_by, updated_at = now()`,
      [teamId, JSON.stringify(body), principal.userId],
    );
    return this.settingsFor(teamId);
  }
}

/** The filter with the values of sensitive filters masked (what events and the read model keep). */
export function maskFilter(filter: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(filter).map(([key, value]) => [key, SENSITIVE_FILTERS.has(key) ? maskValue(key === 'mobile' ? 'mobile' : key, value) : value]),
  );
}
