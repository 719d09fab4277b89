import { authenticateClient, parseServiceClients } from './service-clients.util';

const secret = (c: string) => c.repeat(40);

describe('service clients', () => {
  describe('parseServiceClients', () => {
    it('parses id=secret pairs, keeping only digests of the secrets', () => {
      const clients = parseServiceClients(`exports=${secret('a')}, offboarding=${secret('b')}`);
      expect(clients.map((c) => c.clientId)).toEqual(['exports', 'offboarding']);
      expect(JSON.stringify(clients)).not.toContain(secret('a'));
      expect(parseServiceClients('')).toEqual([]);
    });

    it.each([
      ['a secret shorter than 32 characters', `exports=${'x'.repeat(31)}`, /secret of exports must have at least 32/],
      ['an entry without =', 'exports', /entry 1 must be <clientId>=<secret>/],
      ['an invalid client id', `Ex ports=${secret('a')}`, /entry 1: the client id/],
      ['a client twice', `exports=${secret('a')},exports=${secret('b')}`, /exports is configured twice/],
    ])('refuses %s, naming the problem without the secret', (_name, raw, message) => {
      expect(() => parseServiceClients(raw)).toThrow(message);
      try {
        parseServiceClients(raw);
      } catch (error) {
        expect((error as Error).message).not.toMatch(/x{31}|a{40}|b{40}/);
      }
    });
  });

  describe('authenticateClient', () => {
    const clients = parseServiceClients(`exports=${secret('a')},audit=${secret('b')}`);

    it('accepts the right secret of a configured client', () => {
      expect(authenticateClient(clients, 'exports', secret('a'))?.clientId).toBe('exports');
      expect(authenticateClient(clients, 'audit', secret('b'))?.clientId).toBe('audit');
    });

    it("refuses a wrong secret, another client's secret and an unknown client", () => {
      expect(authenticateClient(clients, 'exports', secret('c'))).toBeNull();
      expect(authenticateClient(clients, 'exports', secret('b'))).toBeNull();
      expect(authenticateClient(clients, 'unknown', secret('a'))).toBeNull();
      expect(authenticateClient(clients, 'exports', '')).toBeNull();
    });
  });
});
