import { Module } from '@nestjs/common';
import { SessionModule } from '../sessions/session.module';
import { UserModule } from '../users/user.module';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { MfaService } from '../mfa/mfa.service';

@Module({
  imports: [UserModule, SessionModule],
  controllers: [AuthController],
  providers: [AuthService, MfaService],
})
export class AuthModule {}
