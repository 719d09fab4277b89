import { Module } from '@nestjs/common';
import { AccessModule } from '../access/access.module';
import { CustomerModule } from '../customer/customer.module';
import { CustomerStreamController } from './customer-stream.controller';
import { CustomerStreamService } from './customer-stream.service';

/** Service-to-service endpoints (`/internal/v1/…`). */
@Module({
  imports: [CustomerModule, AccessModule],
  controllers: [CustomerStreamController],
  providers: [CustomerStreamService],
})
export class InternalModule {}
