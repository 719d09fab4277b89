import { type DynamicModule, Module } from '@nestjs/common';
import { eventRegistry } from '@warden/contracts';
import { PlatformModule } from '@warden/platform';
import { ClientsModule } from './core/clients.module';
import type { ExportsConfig } from './core/config';
import { ExportModule } from './export/export.module';
import { exportReadModelMigrations, exportReadModelProjection } from './export/projections/export-read-model.projection';

@Module({})
export class AppModule {
  static forConfig(config: ExportsConfig): DynamicModule {
    const schema = config.EXPORTS_DB_SCHEMA;
    return {
      module: AppModule,
      imports: [
        PlatformModule.forService({
          service: 'exports',
          schema,
          config,
          registry: eventRegistry,
          migrations: exportReadModelMigrations(schema),
          projections: [exportReadModelProjection(schema)],
        }),
        ClientsModule,
        ExportModule,
      ],
    };
  }
}
