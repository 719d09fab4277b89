import { type DynamicModule, Global, Module } from '@nestjs/common';
import { StaticKeyProvider } from '@warden/crypto';
import { AccessTokenService } from '../signing-keys/access-token.service';
import { JwksController } from '../signing-keys/jwks.controller';
import { SigningKeyService } from '../signing-keys/signing-key.service';
import type { AuthorizationConfig } from './config';
import { AUTH_CONFIG, KEK_PROVIDER } from './tokens';

/**
 * The service's own wiring: its config, the KEK keyring, the signing keys and the token issuer.
 * Verification of tokens (and the revocation markers) is the platform's global guard.
 */
@Global()
@Module({})
export class CoreModule {
  static forConfig(config: AuthorizationConfig): DynamicModule {
    return {
      module: CoreModule,
      controllers: [JwksController],
      providers: [
        { provide: AUTH_CONFIG, useValue: config },
        { provide: KEK_PROVIDER, useFactory: () => StaticKeyProvider.fromKeyring(config.WARDEN_KEKS) },
        SigningKeyService,
        AccessTokenService,
      ],
      exports: [AUTH_CONFIG, KEK_PROVIDER, SigningKeyService, AccessTokenService],
    };
  }
}
