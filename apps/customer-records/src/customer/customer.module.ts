import { Module } from '@nestjs/common';
import { PolicyModule } from '../core/policy.module';
import { CustomerCryptoModule } from '../crypto/crypto.module';
import { CustomerController } from './customer.controller';
import { CustomerService } from './customer.service';

@Module({
  imports: [CustomerCryptoModule, PolicyModule],
  controllers: [CustomerController],
  providers: [CustomerService],
})
export class CustomerModule {}
