import { type DynamicModule, Module } from '@nestjs/common';
import { eventRegistry, isAccessStream, Topics } from '@warden/contracts';
import { PlatformModule } from '@warden/platform';
import type { CustomerRecordsConfig } from './core/config';
import { dataKeyStoreMigrations } from './crypto/postgres-data-key-store';
import { CustomerModule } from './customer/customer.module';
import { customerReadIndexMigrations } from './customer/customer-read-indexes.migrations';
import { CustomerImportModule } from './import/customer-import.module';
import { customerImportMigrations } from './import/customer-import.migrations';
import { InternalModule } from './internal/internal.module';
import { customerConsentsMigrations, customerConsentsProjection } from './consents/customer-consents.projection';
import { CustomerConsentsModule } from './consents/customer-consents.module';
import { customerNotesMigrations, customerNotesProjection } from './notes/customer-notes.projection';
import { CustomerNotesModule } from './notes/customer-notes.module';
import { CustomerSharingModule } from './sharing/customer-sharing.module';
import { SubjectAccessModule } from './subject-access/subject-access.module';
import { customerTransactionsMigrations, customerTransactionsProjection } from './transactions/customer-transactions.projection';
import { CustomerTransactionsModule } from './transactions/customer-transactions.module';
import { customerTransfersMigrations, customerTransfersProjection } from './transfer/transfer.projection';
import { TransferModule } from './transfer/transfer.module';
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
          migrations: [
            ...customerReadModelMigrations(schema),
            ...dataKeyStoreMigrations(schema),
            ...customerReadIndexMigrations(schema),
            ...customerImportMigrations(schema),
            ...customerNotesMigrations(schema),
            ...customerTransactionsMigrations(schema),
            ...customerConsentsMigrations(schema),
            ...customerTransfersMigrations(schema),
          ],
          projections: [
            customerReadModelProjection(schema),
            customerNotesProjection(schema),
            customerTransactionsProjection(schema),
            customerConsentsProjection(schema),
            customerTransfersProjection(schema),
          ],
          // Read events (access-<userId> streams) go to warden.access.v1, the rest to the events topic.
          relayRouting: { topics: [Topics.access], topicFor: (row) => (isAccessStream(row.streamId) ? Topics.access : null) },
        }),
        CustomerModule,
        InternalModule,
        CustomerImportModule,
        CustomerNotesModule,
        CustomerSharingModule,
        CustomerTransactionsModule,
        CustomerConsentsModule,
        SubjectAccessModule,
        TransferModule,
      ],
    };
  }
}
