import { type MiddlewareConsumer, Module, type NestModule } from '@nestjs/common';
import { UserModule } from '../users/user.module';
import { ScimAuthGuard } from './scim-auth.guard';
import { ScimBodyMiddleware } from './scim-body.middleware';
import { ScimDiscoveryController } from './scim-discovery.controller';
import { ScimGroupController } from './scim-group.controller';
import { ScimGroupService } from './scim-group.service';
import { ScimTokenController } from './scim-token.controller';
import { ScimTokenService } from './scim-token.service';
import { ScimUserController } from './scim-user.controller';
import { ScimUserService } from './scim-user.service';

/** SCIM 2.0 provisioning of users and groups by identity providers (Microsoft Entra ID, Okta, …). Needs `scimMigrations`, `scimGroupMigrations` and `roleAssignmentMigrations`. */
@Module({
  imports: [UserModule],
  controllers: [ScimTokenController, ScimDiscoveryController, ScimUserController, ScimGroupController],
  providers: [ScimTokenService, ScimUserService, ScimGroupService, ScimAuthGuard],
})
export class ScimModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(ScimBodyMiddleware).forRoutes(ScimDiscoveryController, ScimUserController, ScimGroupController);
  }
}
export { scimMigrations } from './scim.migrations';
