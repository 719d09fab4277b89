import { Module } from '@nestjs/common';
import { SessionModule } from '../sessions/session.module';
import { BootstrapAdminService } from './bootstrap-admin.service';
import { PasswordHasher } from './password.hasher';
import { UserController } from './user.controller';
import { UserService } from './user.service';

@Module({
  imports: [SessionModule],
  controllers: [UserController],
  providers: [UserService, PasswordHasher, BootstrapAdminService],
  exports: [UserService, PasswordHasher],
})
export class UserModule {}
