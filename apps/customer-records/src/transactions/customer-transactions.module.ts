import { Module } from '@nestjs/common';
import { CustomerModule } from '../customer/customer.module';
import { CustomerTransactionsController } from './customer-transactions.controller';
import { CustomerTransactionsService } from './customer-transactions.service';

@Module({
  imports: [CustomerModule],
  controllers: [CustomerTransactionsController],
  providers: [CustomerTransactionsService],
  exports: [CustomerTransactionsService],
})
export class CustomerTransactionsModule {}
