import { Global, Module } from '@nestjs/common';
import { StaticKeyProvider } from '@warden/crypto';
import { CONFIG, createBreaker, PolicyClientModule } from '@warden/platform';
import { ServiceTokenClient } from '@warden/security';
import { ExportFiles } from '../export/export-files';
import type { ExportsConfig } from './config';
import { CustomerRecordsClient } from './customer-records.client';
import { StepUpVerifier } from './step-up.verifier';
import { KEY_PROVIDER } from './tokens';

const policyClientModule = PolicyClientModule.forService({ authorizationUrl: (config: ExportsConfig) => config.AUTHORIZATION_URL });

/**
 * The service's links to the outside: the requester's policy (authorization, through a breaker),
 * its own service token, customer-records' internal API (through a breaker), the step-up check,
 * the KEK keyring and the export files directory.
 */
@Global()
@Module({
  imports: [policyClientModule],
  providers: [
    {
      provide: ServiceTokenClient,
      inject: [CONFIG],
      useFactory: (config: ExportsConfig) =>
        new ServiceTokenClient({
          authorizationUrl: config.AUTHORIZATION_URL,
          clientId: config.SERVICE_CLIENT_ID,
          clientSecret: config.SERVICE_CLIENT_SECRET,
        }),
    },
    {
      provide: CustomerRecordsClient,
      inject: [CONFIG, ServiceTokenClient],
      useFactory: (config: ExportsConfig, tokens: ServiceTokenClient) => {
        // Times the answer's headers only: a long stream is not a slow call.
        const { fire } = createBreaker((url: string, init: RequestInit) => fetch(url, init), {
          name: 'customer-records',
          timeout: 10_000,
        });
        return new CustomerRecordsClient(config.CUSTOMER_RECORDS_URL, tokens, fire);
      },
    },
    {
      provide: StepUpVerifier,
      inject: [CONFIG],
      useFactory: (config: ExportsConfig) => new StepUpVerifier({ jwksUrl: config.AUTH_JWKS_URL, issuer: config.AUTH_ISSUER }),
    },
    { provide: KEY_PROVIDER, inject: [CONFIG], useFactory: (config: ExportsConfig) => StaticKeyProvider.fromKeyring(config.WARDEN_KEKS) },
    { provide: ExportFiles, inject: [CONFIG], useFactory: (config: ExportsConfig) => new ExportFiles(config.EXPORTS_DIR) },
  ],
  exports: [policyClientModule, ServiceTokenClient, CustomerRecordsClient, StepUpVerifier, KEY_PROVIDER, ExportFiles],
})
export class ClientsModule {}
