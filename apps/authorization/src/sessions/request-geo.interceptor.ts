import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import { serviceClientIdOf, type RequestWithPrincipal } from '@warden/security';
import type { Observable } from 'rxjs';
import { recordRequestGeo } from '../core/request-metadata';
import { GeoService } from './geo.service';
import { actorGeoOf } from './geo.util';

/** Methods that change nothing, so record no event: no lookup for them. */
const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Looks up where the address of every HTTP request that may record events is (GeoIP and ASN,
 * offline), so that `requestMetadata`, `anonymousMetadata` and `scimMetadata` put it in the events'
 * actor (`actor.geo`). Runs after the guards: a refused request costs no lookup. Calls of other
 * services (service principals, e.g. `POST /v1/decisions` on every request they serve) are not
 * looked up: their address is the service's own, and they must not wait for the table to load.
 */
@Injectable()
export class RequestGeoInterceptor implements NestInterceptor {
  constructor(private readonly geo: GeoService) {}

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    if (context.getType() === 'http') {
      const req = context.switchToHttp().getRequest<RequestWithPrincipal>();
      const service = req.principal !== undefined && serviceClientIdOf(req.principal) !== null;
      if (!SAFE_METHODS.has(req.method) && !service) recordRequestGeo(req, actorGeoOf(await this.geo.locate(req.ip ?? null)));
    }
    return next.handle();
  }
}
