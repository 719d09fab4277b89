import { Module } from '@nestjs/common';
import { CustomerCryptoModule } from '../crypto/crypto.module';
import { CustomerController } from './customer.controller';
import { CustomerService } from './customer.service';

@Module({
  imports: [CustomerCryptoModule],
  controllers: [CustomerController],
  providers: [CustomerService],
})
export class CustomerModule {}
