import { type DynamicModule, Module } from '@nestjs/common';
import { eventRegistry } from '@warden/contracts';
import { PlatformModule } from '@warden/platform';
import { AuthModule } from './auth/auth.module';
import type { AuthorizationConfig } from './core/config';
import { CoreModule } from './core/core.module';
import { mfaMigrations } from './mfa/mfa.migrations';
import { sessionReadModelMigrations, sessionReadModelProjection } from './sessions/projections/session-read-model.projection';
import { signingKeyMigrations } from './signing-keys/signing-key.migrations';
import { teamReadModelMigrations, teamReadModelProjection } from './teams/projections/team-read-model.projection';
import { TeamModule } from './teams/team.module';
import { userReadModelMigrations, userReadModelProjection } from './users/projections/user-read-model.projection';
import { UserModule } from './users/user.module';

@Module({})
export class AppModule {
  static forConfig(config: AuthorizationConfig): DynamicModule {
    const schema = config.AUTHORIZATION_DB_SCHEMA;
    return {
      module: AppModule,
      imports: [
        PlatformModule.forService({
          service: 'authorization',
          schema,
          config,
          registry: eventRegistry,
          migrations: [
            ...teamReadModelMigrations(schema),
            ...userReadModelMigrations(schema),
            ...sessionReadModelMigrations(schema),
            ...signingKeyMigrations(schema),
            ...mfaMigrations(schema),
          ],
          projections: [
            userReadModelProjection(schema),
            teamReadModelProjection(schema),
            sessionReadModelProjection(schema),
          ],
        }),
        CoreModule.forConfig(config),
        UserModule,
        TeamModule,
        AuthModule,
      ],
    };
  }
}
