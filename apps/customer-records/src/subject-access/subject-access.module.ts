import { Module } from '@nestjs/common';
import { CustomerConsentsModule } from '../consents/customer-consents.module';
import { CustomerModule } from '../customer/customer.module';
import { CustomerNotesModule } from '../notes/customer-notes.module';
import { CustomerTransactionsModule } from '../transactions/customer-transactions.module';
import { SubjectAccessController } from './subject-access.controller';
import { SubjectAccessService } from './subject-access.service';

@Module({
  imports: [CustomerModule, CustomerNotesModule, CustomerTransactionsModule, CustomerConsentsModule],
  controllers: [SubjectAccessController],
  providers: [SubjectAccessService],
})
export class SubjectAccessModule {}
