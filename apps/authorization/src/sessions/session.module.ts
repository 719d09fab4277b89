import { Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { GeoService } from './geo.service';
import { RequestGeoInterceptor } from './request-geo.interceptor';
import { SessionService } from './session.service';

@Module({
  // The interceptor applies to every HTTP handler of the app (actor.geo of the events they record).
  providers: [SessionService, GeoService, { provide: APP_INTERCEPTOR, useClass: RequestGeoInterceptor }],
  exports: [SessionService, GeoService],
})
export class SessionModule {}
