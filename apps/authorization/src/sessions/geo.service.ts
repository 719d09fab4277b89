import { Injectable, Logger } from '@nestjs/common';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { AsnTable } from './asn.util';
import { geoOf, type Geo } from './geo.util';

/** Where `@ip-location-db/asn` keeps its CSV files. */
export const asnDataDir = (): string => dirname(require.resolve('@ip-location-db/asn/package.json'));

/** Reads asn-ipv4-num.csv and asn-ipv6.csv of `dir` into an AsnTable. */
export async function loadAsnTable(dir: string = asnDataDir()): Promise<AsnTable> {
  const [v4, v6] = await Promise.all([readFile(join(dir, 'asn-ipv4-num.csv'), 'utf8'), readFile(join(dir, 'asn-ipv6.csv'), 'utf8')]);
  return AsnTable.fromCsv(v4, v6);
}

/**
 * GeoIP lookups. Both databases are loaded once, in the background, at boot: geoip-lite's (about
 * 100 MB) and the ASN table (`@ip-location-db/asn`, about 10 MB of typed arrays, under a second).
 * An ASN table that cannot be loaded leaves `asn`/`asnOrg` null (logged once): it informs, it
 * decides nothing.
 */
@Injectable()
export class GeoService {
  private readonly logger = new Logger('GeoService');
  private readonly lookup = import('geoip-lite').then((lib) => lib.lookup);
  private readonly asn = this.loadAsn();

  async locate(ip: string | null): Promise<Geo | null> {
    const [lookup, asn] = await Promise.all([this.lookup, this.asn]);
    return geoOf(ip, lookup, (address) => asn?.lookup(address) ?? null);
  }

  private async loadAsn(): Promise<AsnTable | null> {
    const started = Date.now();
    try {
      const table = await loadAsnTable();
      this.logger.log({ ...table.size, ms: Date.now() - started }, 'loaded the ASN table');
      return table;
    } catch (error) {
      this.logger.error({ error: (error as Error).message }, 'the ASN table could not be loaded: sessions get no asn');
      return null;
    }
  }
}
