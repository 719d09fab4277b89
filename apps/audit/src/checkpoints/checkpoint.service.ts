import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { AUDIT_CHECKPOINT_STREAM, systemActor, type AuditCheckpointSignedData } from '@warden/contracts';
import { quoteSchema, type EventStore } from '@warden/event-store';
import { CONFIG } from '@warden/platform';
import { DataSource } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import type { AuditConfig } from '../core/config';
import { OUTBOX_STORE } from '../core/tokens';
import { MerkleStore } from '../merkle/merkle-store';
import { CheckpointSigner } from './checkpoint-signer.util';

export type CheckpointView = AuditCheckpointSignedData;

type CheckpointRow = { tree_size: string; root_hash: string; issued_at_text: string; key_id: string; public_key: string; signature: string };

const toView = (r: CheckpointRow): CheckpointView => ({
  treeSize: Number(r.tree_size),
  rootHash: r.root_hash,
  issuedAt: r.issued_at_text,
  algorithm: 'Ed25519',
  keyId: r.key_id,
  publicKey: r.public_key,
  signature: r.signature,
});

/**
 * Signs a checkpoint of the Merkle tree at an interval when it grew: stored, and appended to the
 * outbox (→ `warden.audit.checkpoints.v1`) in the same transaction.
 */
@Injectable()
export class CheckpointService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('CheckpointService');
  private readonly s: string;
  readonly merkle: MerkleStore;
  readonly signer: CheckpointSigner;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> = Promise.resolve();

  constructor(
    @Inject(CONFIG) private readonly config: AuditConfig,
    private readonly dataSource: DataSource,
    @Inject(OUTBOX_STORE) private readonly outbox: EventStore,
  ) {
    this.s = quoteSchema(config.AUDIT_DB_SCHEMA);
    this.merkle = new MerkleStore(config.AUDIT_DB_SCHEMA);
    this.signer = new CheckpointSigner(config.AUDIT_SIGNING_KEY);
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      this.running = this.checkpointIfGrown().catch((error: unknown) =>
        this.logger.warn({ error: (error as Error).message }, 'checkpoint failed; trying again at the next interval'),
      );
    }, this.config.AUDIT_CHECKPOINT_INTERVAL_MS);
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  /** Signs and publishes a checkpoint when the tree is larger than at the last one. */
  async checkpointIfGrown(now = new Date()): Promise<CheckpointView | null> {
    const size = await this.merkle.size(this.dataSource.manager);
    const last = await this.latest();
    if (size === 0 || (last && last.treeSize >= size)) return null;
    const root = await this.merkle.root(this.dataSource.manager, size);
    const checkpoint = this.signer.sign({ treeSize: size, rootHash: root.toString('hex'), issuedAt: now.toISOString() });
    try {
      await this.dataSource.transaction(async (manager) => {
        await manager.query(
          `INSERT INTO ${this.s}.checkpoints (tree_size, root_hash, issued_at, issued_at_text, key_id, public_key, signature)
           VALUES ($1, $2, $3, $4, $5, $6, $7)`,
          [checkpoint.treeSize, checkpoint.rootHash, checkpoint.issuedAt, checkpoint.issuedAt, checkpoint.keyId, checkpoint.publicKey, checkpoint.signature],
        );
        await this.outbox.append(AUDIT_CHECKPOINT_STREAM, [{ type: 'AuditCheckpointSigned', data: checkpoint }], {
          expectedVersion: 'any',
          manager,
          metadata: { actor: systemActor('audit'), correlationId: uuidv7(), causationId: null, now },
        });
      });
    } catch (error) {
      // Another instance signed this size first.
      if ((error as { code?: string }).code === '23505') return null;
      throw error;
    }
    return checkpoint;
  }

  async latest(): Promise<CheckpointView | null> {
    const rows: CheckpointRow[] = await this.dataSource.query(
      `SELECT tree_size, root_hash, issued_at_text, key_id, public_key, signature FROM ${this.s}.checkpoints ORDER BY tree_size DESC LIMIT 1`,
    );
    return rows.length ? toView(rows[0]) : null;
  }

  async list(limit: number, beforeSize: number | null): Promise<CheckpointView[]> {
    const rows: CheckpointRow[] = await this.dataSource.query(
      `SELECT tree_size, root_hash, issued_at_text, key_id, public_key, signature FROM ${this.s}.checkpoints
       WHERE ($1::bigint IS NULL OR tree_size < $1) ORDER BY tree_size DESC LIMIT $2`,
      [beforeSize, limit],
    );
    return rows.map(toView);
  }

  async at(size: number): Promise<CheckpointView | null> {
    const rows: CheckpointRow[] = await this.dataSource.query(
      `SELECT tree_size, root_hash, issued_at_text, key_id, public_key, signature FROM ${this.s}.checkpoints WHERE tree_size = $1`,
      [size],
    );
    return rows.length ? toView(rows[0]) : null;
  }
}
