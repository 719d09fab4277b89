import { Inject, Injectable } from '@nestjs/common';
import { quoteSchema } from '@warden/event-store';
import { CONFIG } from '@warden/platform';
import { DataSource } from 'typeorm';
import { CheckpointSigner } from '../checkpoints/checkpoint-signer.util';
import type { AuditConfig } from '../core/config';
import { TrailVerifier, type VerificationResult } from './trail-verifier';

/** Runs a full verification and records its result (the reports quote the latest). */
@Injectable()
export class VerificationService {
  private readonly verifier: TrailVerifier;
  private readonly s: string;

  constructor(
    @Inject(CONFIG) config: AuditConfig,
    private readonly dataSource: DataSource,
  ) {
    this.s = quoteSchema(config.AUDIT_DB_SCHEMA);
    this.verifier = new TrailVerifier({
      dataSource,
      schema: config.AUDIT_DB_SCHEMA,
      trustedPublicKey: new CheckpointSigner(config.AUDIT_SIGNING_KEY).publicKeyBase64,
      workers: config.AUDIT_VERIFY_WORKERS,
    });
  }

  async verify(): Promise<VerificationResult> {
    const result = await this.verifier.verify();
    await this.dataSource.query(
      `INSERT INTO ${this.s}.verification_runs (ok, tree_size, checked, result) VALUES ($1, $2, $3, $4::jsonb)`,
      [result.ok, result.treeSize, result.eventsChecked, JSON.stringify(result)],
    );
    return result;
  }

  /** The latest recorded verification finished before `before` (or ever). */
  async latest(before?: Date): Promise<VerificationResult | null> {
    const rows: Array<{ result: VerificationResult }> = await this.dataSource.query(
      `SELECT result FROM ${this.s}.verification_runs WHERE ($1::timestamptz IS NULL OR finished_at < $1) ORDER BY id DESC LIMIT 1`,
      [before ?? null],
    );
    return rows[0]?.result ?? null;
  }
}
