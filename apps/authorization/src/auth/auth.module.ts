import { Module } from '@nestjs/common';
import { RoleModule } from '../roles/role.module';
import { SessionModule } from '../sessions/session.module';
import { UserModule } from '../users/user.module';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { MfaEnrollmentGuard } from './mfa-enrollment.guard';
import { PasswordChangeService } from './password-change.service';
import { StepUpService } from './step-up.service';
import { MfaService } from '../mfa/mfa.service';

@Module({
  imports: [UserModule, SessionModule, RoleModule],
  controllers: [AuthController],
  providers: [AuthService, MfaService, MfaEnrollmentGuard, PasswordChangeService, StepUpService],
})
export class AuthModule {}
