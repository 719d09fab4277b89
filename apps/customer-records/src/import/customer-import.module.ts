import { Module } from '@nestjs/common';
import { CustomerModule } from '../customer/customer.module';
import { CustomerImportController } from './customer-import.controller';
import { CustomerImportService } from './customer-import.service';

/** Bulk import of customers (CSV or JSON lines) through the registration path. */
@Module({
  imports: [CustomerModule],
  controllers: [CustomerImportController],
  providers: [CustomerImportService],
})
export class CustomerImportModule {}
