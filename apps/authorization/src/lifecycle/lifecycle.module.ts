import { Module } from '@nestjs/common';
import { GrantModule } from '../grants/grant.module';
import { SessionModule } from '../sessions/session.module';
import { OffboardingController, ResponseController } from './user-lifecycle.controller';
import { UserLifecycleService } from './user-lifecycle.service';

/** Departing, freeze, automated responses and restrictions: what other services ask of a user. */
@Module({
  imports: [SessionModule, GrantModule],
  controllers: [OffboardingController, ResponseController],
  providers: [UserLifecycleService],
})
export class LifecycleModule {}
