import { Logger, Module } from '@nestjs/common';
import { EventStore } from '@warden/event-store';
import { DataSource } from 'typeorm';
import { CustomerModule } from '../customer/customer.module';
import { CustomerService } from '../customer/customer.service';
import { TransferController } from './transfer.controller';
import { CustomerTransferProcessor } from './transfer.processor';
import { TransferRuntime } from './transfer.runtime';
import { TransferService } from './transfer.service';

/** Ownership transfers: the `TransferCustomers` command, its processor and the HTTP API. */
@Module({
  imports: [CustomerModule],
  controllers: [TransferController],
  providers: [
    {
      provide: CustomerTransferProcessor,
      inject: [DataSource, EventStore, CustomerService],
      useFactory: (dataSource: DataSource, store: EventStore, customers: CustomerService) => {
        const logger = new Logger('CustomerTransferProcessor');
        return new CustomerTransferProcessor(dataSource, store, customers, {
          logger: { warn: (message, context) => logger.warn({ ...context }, message) },
        });
      },
    },
    TransferRuntime,
    TransferService,
  ],
})
export class TransferModule {}
