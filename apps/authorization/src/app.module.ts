import { type DynamicModule, Module } from '@nestjs/common';
import { eventRegistry } from '@warden/contracts';
import { PlatformModule } from '@warden/platform';
import { AuthModule } from './auth/auth.module';
import type { AuthorizationConfig } from './core/config';
import { CoreModule } from './core/core.module';
import { GrantModule } from './grants/grant.module';
import { grantReadModelMigrations, grantReadModelProjection } from './grants/projections/grant-read-model.projection';
import { mfaMigrations } from './mfa/mfa.migrations';
import { PolicyModule } from './policy/policy.module';
import { policyVersionMigrations, policyVersionProjection } from './policy/projections/policy-version.projection';
import { roleReadModelMigrations, roleReadModelProjection } from './roles/projections/role-read-model.projection';
import { RoleModule } from './roles/role.module';
import { sessionReadModelMigrations, sessionReadModelProjection } from './sessions/projections/session-read-model.projection';
import { signingKeyMigrations } from './signing-keys/signing-key.migrations';
import { teamReadModelMigrations, teamReadModelProjection } from './teams/projections/team-read-model.projection';
import { TeamModule } from './teams/team.module';
import { userReadModelMigrations, userReadModelProjection } from './users/projections/user-read-model.projection';
import { UserModule } from './users/user.module';
import { ScimModule, scimMigrations } from './scim/scim.module';
import { ServiceClientsModule } from './service-clients/service-clients.module';
import { LifecycleModule } from './lifecycle/lifecycle.module';
import { userLifecycleMigrations, userLifecycleProjection } from './lifecycle/projections/user-lifecycle.projection';
import { roleAssignmentMigrations, roleAssignmentProjection } from './roles/projections/role-assignment.projection';
import { scimGroupMigrations, scimGroupReadModelProjection } from './scim/projections/scim-group-read-model.projection';

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
            ...scimMigrations(schema),
            ...roleReadModelMigrations(schema),
            ...policyVersionMigrations(schema),
            ...grantReadModelMigrations(schema),
            ...userLifecycleMigrations(schema),
            ...roleAssignmentMigrations(schema),
            ...scimGroupMigrations(schema),
          ],
          projections: [
            userReadModelProjection(schema),
            teamReadModelProjection(schema),
            sessionReadModelProjection(schema),
            roleReadModelProjection(schema),
            grantReadModelProjection(schema),
            userLifecycleProjection(schema),
            // Members before role assignments: a group's role change applies to its members as they are after the change.
            scimGroupReadModelProjection(schema),
            roleAssignmentProjection(schema),
            // Last: it reads the read models above (holders of a role, the team tree).
            policyVersionProjection(schema),
          ],
        }),
        CoreModule.forConfig(config),
        PolicyModule,
        RoleModule,
        UserModule,
        TeamModule,
        AuthModule,
        GrantModule,
        ScimModule,
        ServiceClientsModule,
        LifecycleModule,
      ],
    };
  }
}
