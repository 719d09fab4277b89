import { Module } from '@nestjs/common';
import { CustomerModule } from '../customer/customer.module';
import { CustomerConsentsController } from './customer-consents.controller';
import { CustomerConsentsService } from './customer-consents.service';

@Module({
  imports: [CustomerModule],
  controllers: [CustomerConsentsController],
  providers: [CustomerConsentsService],
  exports: [CustomerConsentsService],
})
export class CustomerConsentsModule {}
