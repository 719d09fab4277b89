import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import type { Locate } from '../detection/signal.util';

type GeoIpLookup = (ip: string) => { country: string; city: string; ll: [number, number]; area?: number } | null;

/** Offline GeoIP (geoip-lite's bundled database, about 100 MB, loaded once at boot). */
@Injectable()
export class GeoLocator implements OnApplicationBootstrap {
  private lookup: GeoIpLookup | null = null;

  async onApplicationBootstrap(): Promise<void> {
    await this.ready();
  }

  async ready(): Promise<Locate> {
    if (!this.lookup) {
      const lib = (await import('geoip-lite')) as unknown as { lookup: GeoIpLookup; default?: { lookup: GeoIpLookup } };
      this.lookup = lib.lookup ?? lib.default?.lookup ?? null;
    }
    return this.locate;
  }

  readonly locate: Locate = (ip) => {
    const found = this.lookup?.(ip);
    if (!found) return null;
    const [lat, lon] = found.ll ?? [];
    const point =
      typeof lat === 'number' && typeof lon === 'number' && !(lat === 0 && lon === 0)
        ? { lat, lon, accuracyKm: typeof found.area === 'number' ? found.area : 100 }
        : null;
    return { country: found.country || null, point };
  };
}
