import { Module } from '@nestjs/common';
import { ServiceTokenController } from './service-token.controller';
import { ServiceTokenService } from './service-token.service';

/** Client credentials of Warden's own services (`POST /v1/auth/service-token`). */
@Module({
  controllers: [ServiceTokenController],
  providers: [ServiceTokenService],
})
export class ServiceClientsModule {}
