import { type DynamicModule, Module } from '@nestjs/common';
import { eventRegistry } from '@warden/contracts';
import { PlatformModule } from '@warden/platform';
import { OffboardingModule } from './case/offboarding.module';
import { caseReadModelMigrations, caseReadModelProjection } from './case/projections/case-read-model.projection';
import type { OffboardingConfig } from './core/config';
import { SagaModule } from './saga/saga.module';

@Module({})
export class AppModule {
  static forConfig(config: OffboardingConfig): DynamicModule {
    const schema = config.OFFBOARDING_DB_SCHEMA;
    return {
      module: AppModule,
      imports: [
        PlatformModule.forService({
          service: 'offboarding',
          schema,
          config,
          registry: eventRegistry,
          migrations: caseReadModelMigrations(schema),
          projections: [caseReadModelProjection(schema, { handoverTimeoutMs: config.OFFBOARDING_HANDOVER_TIMEOUT_MS })],
        }),
        SagaModule,
        OffboardingModule,
      ],
    };
  }
}
