import { Module } from '@nestjs/common';
import { ClientsModule } from '../core/clients.module';
import { DeprovisionConsumer } from '../scim/deprovision.consumer';
import { OffboardingController } from './offboarding.controller';
import { OffboardingService } from './offboarding.service';

@Module({
  imports: [ClientsModule],
  controllers: [OffboardingController],
  providers: [OffboardingService, DeprovisionConsumer],
})
export class OffboardingModule {}
