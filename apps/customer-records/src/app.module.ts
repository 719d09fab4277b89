import { type DynamicModule, Module } from '@nestjs/common';
import { eventRegistry } from '@warden/contracts';
import { PlatformModule } from '@warden/platform';
import type { CustomerRecordsConfig } from './core/config';
import { dataKeyStoreMigrations } from './crypto/postgres-data-key-store';
import { CustomerModule } from './customer/customer.module';
import {
  customerReadModelMigrations,
  customerReadModelProjection,
} from './customer/projections/customer-read-model.projection';

@Module({})
export class AppModule {
  static forConfig(config: CustomerRecordsConfig): DynamicModule {
    const schema = config.CUSTOMER_RECORDS_DB_SCHEMA;
    return {
      module: AppModule,
      imports: [
        PlatformModule.forService({
          service: 'customer-records',
          schema,
          config,
          registry: eventRegistry,
          migrations: [...customerReadModelMigrations(schema), ...dataKeyStoreMigrations(schema)],
          projections: [customerReadModelProjection(schema)],
        }),
        CustomerModule,
      ],
    };
  }
}
