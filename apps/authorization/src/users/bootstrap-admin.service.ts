import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import type { AuthorizationConfig } from '../core/config';
import { systemMetadata } from '../core/request-metadata';
import { AUTH_CONFIG } from '../core/tokens';
import { passwordProblem } from './password.policy';
import { UserError, UserErrorCode } from './user.exception';
import { UserService } from './user.service';

/**
 * Creates the first admin (WARDEN_ADMIN_USERNAME / WARDEN_ADMIN_PASSWORD) at boot when no user of
 * that name exists. Idempotent, and safe with several instances (the unique name decides).
 * A password that breaks the policy stops the boot.
 */
@Injectable()
export class BootstrapAdminService implements OnApplicationBootstrap {
  private readonly logger = new Logger('BootstrapAdmin');

  constructor(
    private readonly users: UserService,
    @Inject(AUTH_CONFIG) private readonly config: AuthorizationConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const username = this.config.WARDEN_ADMIN_USERNAME;
    const password = this.config.WARDEN_ADMIN_PASSWORD;
    if (!password) {
      this.logger.warn(`WARDEN_ADMIN_PASSWORD is not set: no bootstrap admin is created (npm start provides one)`);
      return;
    }
    if (await this.users.usernameExists(username)) return;
    const problem = passwordProblem(password, username);
    if (problem) throw new Error(`WARDEN_ADMIN_PASSWORD: ${problem}`);
    try {
      await this.users.create(
        {
          username,
          password,
          displayName: 'Warden administrator',
          email: `${username.replace(/[^A-Za-z0-9._-]/g, '') || 'admin'}@warden.invalid`,
          roles: ['admin'],
          teamId: null,
          managerId: null,
          clearance: 'restricted',
        },
        systemMetadata('bootstrap-admin'),
      );
      this.logger.log({ username }, 'created the bootstrap admin');
    } catch (error) {
      if (error instanceof UserError && error.code === UserErrorCode.UsernameTaken) return;
      throw error;
    }
  }
}
