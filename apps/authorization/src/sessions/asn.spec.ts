import { AsnTable, ipv4ToNumber, ipv6ToBigInts } from './asn.util';
import { loadAsnTable } from './geo.service';
import { geoOf } from './geo.util';

const noCity = () => null;

describe('ASN lookups', () => {
  describe('address parsing', () => {
    it('reads IPv4 as an unsigned number and refuses malformed ones', () => {
      expect(ipv4ToNumber('1.1.1.1')).toBe(16843009);
      expect(ipv4ToNumber('255.255.255.255')).toBe(4294967295);
      expect(ipv4ToNumber('256.1.1.1')).toBeNull();
      expect(ipv4ToNumber('1.1.1')).toBeNull();
    });

    it('reads IPv6 with compression and embedded IPv4 as two 64-bit halves', () => {
      expect(ipv6ToBigInts('2001:db8::1')).toEqual([0x20010db800000000n, 1n]);
      expect(ipv6ToBigInts('::ffff:1.2.3.4')).toEqual([0n, 0xffff01020304n]);
      expect(ipv6ToBigInts('2001:db8::1::2')).toBeNull();
      expect(ipv6ToBigInts('2001:db8:zz::1')).toBeNull();
    });
  });

  describe('a small table', () => {
    const v4 = ['16777216,16777471,13335,"Cloudflare, Inc."', '16778240,16779263,38803,Gtelecom Pty Ltd', '35309568,35313663,201907,"LLC ""SPUTNIK"""', '50331648,50331903,0,Unrouted'].join('\r\n');
    const v6 = ['2001::,2001::ffff:ffff:ffff:ffff:ffff:ffff,6939,Hurricane Electric LLC', '2001:4860::,2001:4860:4804:ffff:ffff:ffff:ffff:ffff,15169,Google LLC', ''].join('\n');
    const table = AsnTable.fromCsv(v4, v6);

    it('finds the range holding an address, at both bounds, and nothing between ranges', () => {
      expect(table.lookup('1.0.0.0')).toEqual({ asn: 13335, asnOrg: 'Cloudflare, Inc.' });
      expect(table.lookup('1.0.0.255')).toEqual({ asn: 13335, asnOrg: 'Cloudflare, Inc.' });
      expect(table.lookup('1.0.1.0')).toBeNull();
      expect(table.lookup('1.0.4.7')).toEqual({ asn: 38803, asnOrg: 'Gtelecom Pty Ltd' });
      expect(table.lookup('0.255.255.255')).toBeNull();
      expect(table.lookup('2.26.200.1')).toEqual({ asn: 201907, asnOrg: 'LLC "SPUTNIK"' });
      expect(table.lookup('3.0.0.1')).toBeNull();
      expect(table.size).toEqual({ ipv4: 4, ipv6: 2, organisations: 6 });
    });

    it('looks up IPv6 and IPv4-mapped IPv6', () => {
      expect(table.lookup('2001:0:ffff::1')).toEqual({ asn: 6939, asnOrg: 'Hurricane Electric LLC' });
      expect(table.lookup('2001:4860:4804:ffff:ffff:ffff:ffff:ffff')).toEqual({ asn: 15169, asnOrg: 'Google LLC' });
      expect(table.lookup('2001:4860:4805::')).toBeNull();
      expect(table.lookup('::ffff:1.0.0.9')).toEqual({ asn: 13335, asnOrg: 'Cloudflare, Inc.' });
      expect(table.lookup('not an ip')).toBeNull();
    });

    it('refuses an unsorted file rather than search it wrongly', () => {
      expect(() => AsnTable.fromCsv('200,300,1,b\n100,150,2,a', '')).toThrow(/not sorted/);
    });
  });

  describe('the @ip-location-db/asn data', () => {
    let table: AsnTable;
    beforeAll(async () => {
      table = await loadAsnTable();
    }, 30_000);

    it('knows well-known public resolvers, over IPv4 and IPv6', () => {
      expect(table.lookup('1.1.1.1')).toEqual({ asn: 13335, asnOrg: 'Cloudflare, Inc.' });
      expect(table.lookup('8.8.8.8')).toEqual({ asn: 15169, asnOrg: 'Google LLC' });
      expect(table.lookup('9.9.9.9')?.asn).toBe(19281);
      expect(table.lookup('2001:4860:4860::8888')).toEqual({ asn: 15169, asnOrg: 'Google LLC' });
      expect(table.lookup('2606:4700:4700::1111')?.asn).toBe(13335);
      expect(table.size.ipv4).toBeGreaterThan(400_000);
      expect(table.size.ipv6).toBeGreaterThan(100_000);
    });

    it('gives session geo an AS for public addresses and nothing for private or loopback ones', () => {
      const asn = (ip: string) => table.lookup(ip);
      expect(geoOf('1.1.1.1', noCity, asn)).toEqual({ country: null, city: null, asn: 13335, asnOrg: 'Cloudflare, Inc.' });
      expect(geoOf('::ffff:8.8.8.8', () => ({ country: 'US', city: '' }), asn)).toEqual({ country: 'US', city: null, asn: 15169, asnOrg: 'Google LLC' });
      for (const ip of ['127.0.0.1', '10.1.2.3', '192.168.0.1', '172.16.5.5', '::1', 'fd00::1', 'fe80::1', '::ffff:127.0.0.1']) {
        expect(geoOf(ip, noCity, asn)).toBeNull();
      }
    });
  });
});
