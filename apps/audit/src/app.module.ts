import { type DynamicModule, Module } from '@nestjs/common';
import { eventRegistry } from '@warden/contracts';
import { PlatformModule, PolicyClientModule } from '@warden/platform';
import { ActivityCommandConsumer } from './activity/activity-command.consumer';
import { ActivityController } from './activity/activity.controller';
import { ActivityService } from './activity/activity.service';
import { CheckpointController } from './checkpoints/checkpoint.controller';
import { CheckpointService } from './checkpoints/checkpoint.service';
import { ProofService } from './checkpoints/proof.service';
import { trailIndexerProvider } from './core/audit-indexer.provider';
import { auditMigrations } from './core/audit.migrations';
import type { AuditConfig } from './core/config';
import { OutboxModule } from './core/outbox.module';
import { TrailConsumer } from './indexing/trail-consumer.service';
import { TrailMaintenance } from './indexing/trail-maintenance.service';
import { ReportController } from './reports/report.controller';
import { ReportService } from './reports/report.service';
import { SearchController } from './search/search.controller';
import { SearchService } from './search/search.service';
import { VerificationController } from './verification/verification.controller';
import { VerificationService } from './verification/verification.service';

@Module({})
export class AppModule {
  static forConfig(config: AuditConfig): DynamicModule {
    const schema = config.AUDIT_DB_SCHEMA;
    return {
      module: AppModule,
      imports: [
        PlatformModule.forService({
          service: 'audit',
          schema,
          config,
          registry: eventRegistry,
          migrations: auditMigrations(schema),
        }),
        OutboxModule,
        // The reader's policy per request: which fields of the trail they see.
        PolicyClientModule.forService({ authorizationUrl: (c: AuditConfig) => c.AUTHORIZATION_URL }),
      ],
      controllers: [CheckpointController, VerificationController, SearchController, ActivityController, ReportController],
      providers: [
        trailIndexerProvider,
        TrailConsumer,
        TrailMaintenance,
        CheckpointService,
        ProofService,
        VerificationService,
        SearchService,
        ActivityService,
        // Answers offboarding's CompileUserActivity on the audit's commands topic.
        ActivityCommandConsumer,
        ReportService,
      ],
    };
  }
}
