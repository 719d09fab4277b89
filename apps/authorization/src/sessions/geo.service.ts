import { Injectable } from '@nestjs/common';
import { geoOf, type Geo } from './geo.util';

/** GeoIP lookups; the database (about 100 MB) is loaded once, in the background, at boot. */
@Injectable()
export class GeoService {
  private readonly lookup = import('geoip-lite').then((lib) => lib.lookup);

  async locate(ip: string | null): Promise<Geo | null> {
    return geoOf(ip, await this.lookup);
  }
}
