import { Module } from '@nestjs/common';
import { GrantExpirySweeper } from './grant-expiry.sweeper';
import { GrantController } from './grant.controller';
import { GrantService } from './grant.service';

@Module({
  controllers: [GrantController],
  providers: [GrantService, GrantExpirySweeper],
  exports: [GrantService],
})
export class GrantModule {}
