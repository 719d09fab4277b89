import { Module } from '@nestjs/common';
import { PolicyClientModule } from '@warden/platform';
import type { CustomerRecordsConfig } from '../core/config';
import { CustomerCryptoModule } from '../crypto/crypto.module';
import { AccessModule } from '../access/access.module';
import { CustomerQueryService } from './customer-query.service';
import { CustomerLifecycleController } from './customer-lifecycle.controller';
import { CustomerController } from './customer.controller';
import { CustomerService } from './customer.service';

/** The caller's policy per request; the service's one `PolicyClient`, exported to the modules importing this one. */
const policyClientModule = PolicyClientModule.forService({
  authorizationUrl: (config: CustomerRecordsConfig) => config.AUTHORIZATION_URL,
});

@Module({
  imports: [CustomerCryptoModule, policyClientModule, AccessModule],
  controllers: [CustomerController, CustomerLifecycleController],
  providers: [CustomerService, CustomerQueryService],
  exports: [CustomerService, CustomerQueryService, CustomerCryptoModule, policyClientModule],
})
export class CustomerModule {}
