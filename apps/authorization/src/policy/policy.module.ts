import { Global, Module } from '@nestjs/common';
import { AbilityController } from './ability.controller';
import { AbilityService } from './ability.service';
import { PolicyVersionService } from './policy-version.service';

/** Policy versions, compiled abilities and decisions; global so users, roles and grants can bump and read. */
@Global()
@Module({
  controllers: [AbilityController],
  providers: [PolicyVersionService, AbilityService],
  exports: [PolicyVersionService, AbilityService],
})
export class PolicyModule {}
