import { Module } from '@nestjs/common';
import { GrantModule } from '../grants/grant.module';
import { SessionModule } from '../sessions/session.module';
import { LifecycleCommandConsumer } from './lifecycle-command.consumer';
import { OffboardingController, ResponseController } from './user-lifecycle.controller';
import { UserLifecycleService } from './user-lifecycle.service';

/**
 * Departing, freeze, automated responses and restrictions: what other services ask of a user, over
 * HTTP and, for offboarding's saga, as commands on Kafka (`LifecycleCommandConsumer`).
 */
@Module({
  imports: [SessionModule, GrantModule],
  controllers: [OffboardingController, ResponseController],
  providers: [UserLifecycleService, LifecycleCommandConsumer],
})
export class LifecycleModule {}
