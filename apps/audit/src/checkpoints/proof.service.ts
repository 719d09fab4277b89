import { Inject, Injectable } from '@nestjs/common';
import { quoteSchema } from '@warden/event-store';
import { CONFIG } from '@warden/platform';
import { DataSource } from 'typeorm';
import { AuditError, AuditErrorCode } from '../core/audit.exception';
import type { AuditConfig } from '../core/config';
import { leafHash } from '../merkle/merkle.util';
import { CheckpointService, type CheckpointView } from './checkpoint.service';

export type InclusionProofView = {
  eventId: string;
  leafIndex: number;
  treeSize: number;
  eventHash: string;
  leafHash: string;
  /** Sibling hashes from the leaf up (RFC 6962 PATH), hex. */
  auditPath: string[];
  rootHash: string;
  /** The signed checkpoint of `treeSize`, when one exists. */
  checkpoint: CheckpointView | null;
};

export type ConsistencyProofView = {
  from: number;
  to: number;
  fromRoot: string;
  toRoot: string;
  /** RFC 6962 PROOF(from, D[to]), hex. */
  proof: string[];
  checkpoints: { from: CheckpointView | null; to: CheckpointView | null };
};

@Injectable()
export class ProofService {
  constructor(
    @Inject(CONFIG) private readonly config: AuditConfig,
    private readonly dataSource: DataSource,
    private readonly checkpoints: CheckpointService,
  ) {}

  /** The inclusion proof of an event in the tree of `treeSize` (default: the latest checkpoint). */
  async inclusion(eventId: string, treeSize?: number): Promise<InclusionProofView> {
    const rows: Array<{ position: string; hash: Buffer }> = await this.dataSource.query(
      `SELECT i.position, n.hash FROM ${quoteSchema(this.config.AUDIT_DB_SCHEMA)}.trail_ids i
       LEFT JOIN ${quoteSchema(this.config.AUDIT_DB_SCHEMA)}.merkle_nodes n ON n.level = 0 AND n.idx = i.position
       WHERE i.event_id = $1`,
      [eventId],
    );
    if (rows.length === 0) throw new AuditError(AuditErrorCode.EventNotFound, `event ${eventId} is not in the audit trail`);
    const index = Number(rows[0].position);
    const size = await this.resolveSize(treeSize);
    if (index >= size) {
      throw new AuditError(
        AuditErrorCode.NotYetCheckpointed,
        `event ${eventId} is at position ${index}, after the tree of size ${size}; ask again after the next checkpoint`,
      );
    }
    const manager = this.dataSource.manager;
    const [path, root] = await Promise.all([
      this.checkpoints.merkle.inclusion(manager, index, size),
      this.checkpoints.merkle.root(manager, size),
    ]);
    const eventHash = await this.eventHash(index);
    return {
      eventId,
      leafIndex: index,
      treeSize: size,
      eventHash,
      leafHash: leafHash(eventHash).toString('hex'),
      auditPath: path.map((p) => p.toString('hex')),
      rootHash: root.toString('hex'),
      checkpoint: await this.checkpoints.at(size),
    };
  }

  async consistency(from: number, to: number): Promise<ConsistencyProofView> {
    const size = await this.checkpoints.merkle.size(this.dataSource.manager);
    if (from < 1 || from > to || to > size) {
      throw new AuditError(AuditErrorCode.TreeSizeOutOfRange, `need 1 ≤ from ≤ to ≤ ${size} (the tree's size); got from=${from}, to=${to}`);
    }
    const manager = this.dataSource.manager;
    const [proof, fromRoot, toRoot, fromCheckpoint, toCheckpoint] = await Promise.all([
      this.checkpoints.merkle.consistency(manager, from, to),
      this.checkpoints.merkle.root(manager, from),
      this.checkpoints.merkle.root(manager, to),
      this.checkpoints.at(from),
      this.checkpoints.at(to),
    ]);
    return {
      from,
      to,
      fromRoot: fromRoot.toString('hex'),
      toRoot: toRoot.toString('hex'),
      proof: proof.map((p) => p.toString('hex')),
      checkpoints: { from: fromCheckpoint, to: toCheckpoint },
    };
  }

  private async resolveSize(treeSize?: number): Promise<number> {
    if (treeSize !== undefined) {
      const size = await this.checkpoints.merkle.size(this.dataSource.manager);
      if (treeSize < 1 || treeSize > size) {
        throw new AuditError(AuditErrorCode.TreeSizeOutOfRange, `treeSize must be between 1 and ${size}`);
      }
      return treeSize;
    }
    const latest = await this.checkpoints.latest();
    if (!latest) throw new AuditError(AuditErrorCode.NotYetCheckpointed, 'no checkpoint has been signed yet');
    return latest.treeSize;
  }

  private async eventHash(position: number): Promise<string> {
    const rows: Array<{ hash: string }> = await this.dataSource.query(
      `SELECT hash FROM ${quoteSchema(this.config.AUDIT_DB_SCHEMA)}.trail WHERE position = $1 LIMIT 1`,
      [position],
    );
    if (rows.length === 0) throw new AuditError(AuditErrorCode.EventNotFound, `the event at position ${position} is no longer retained`);
    return rows[0].hash;
  }
}
