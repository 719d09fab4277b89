import { Module } from '@nestjs/common';
import { GeoService } from './geo.service';
import { SessionService } from './session.service';

@Module({
  providers: [SessionService, GeoService],
  exports: [SessionService, GeoService],
})
export class SessionModule {}
