import { Module } from '@nestjs/common';
import { CustomerModule } from '../customer/customer.module';
import { CustomerSharingController } from './customer-sharing.controller';
import { CustomerSharingService } from './customer-sharing.service';

@Module({
  imports: [CustomerModule],
  controllers: [CustomerSharingController],
  providers: [CustomerSharingService],
})
export class CustomerSharingModule {}
