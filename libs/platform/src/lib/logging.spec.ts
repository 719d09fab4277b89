import { randomBytes } from 'node:crypto';
import { createLogger, REDACTED, redactDeep, TRUNCATED } from './logging';

/** A logger writing into memory, and everything it wrote so far. */
function capturedLogger(level = 'info') {
  const lines: string[] = [];
  const logger = createLogger('logging-spec', level, { write: (line: string) => void lines.push(line) });
  return {
    logger,
    output: () => lines.join(''),
    records: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

/** A value no other part of the output could contain by chance. */
const planted = (what: string) => `${what}-${randomBytes(6).toString('hex')}`;

/** A customer whose sensitive fields hold planted values; returns them so a test can look for each. */
function customer(name: string) {
  const secrets = {
    nationalId: planted('national-id'),
    mobile: planted('mobile'),
    email: `${planted('email')}@example.com`,
    address: { street: planted('street'), city: planted('city') },
  };
  return {
    customer: { id: planted('id'), name, classification: 'restricted', ...secrets },
    secrets: [
      secrets.nationalId,
      secrets.mobile,
      secrets.email,
      secrets.address.street,
      secrets.address.city,
    ],
  };
}

describe('Logging', () => {
  describe('when a log line carries credentials', () => {
    it('never writes passwords or tokens, and marks them redacted', () => {
      const { logger, output, records } = capturedLogger();
      const secrets = {
        password: planted('password'),
        currentPassword: planted('current-password'),
        accessToken: planted('access-token'),
        refreshToken: planted('refresh-token'),
        apiKey: planted('api-key'),
        clientSecret: planted('client-secret'),
      };

      logger.info({ user: 'ada', ...secrets }, 'signed in');

      for (const secret of Object.values(secrets)) expect(output()).not.toContain(secret);
      const [line] = records();
      expect(line).toMatchObject({
        user: 'ada',
        msg: 'signed in',
        password: REDACTED,
        accessToken: REDACTED,
      });
      expect(line.refreshToken).toBe(REDACTED);
    });

    it('never writes the authorization header or cookies of a request', () => {
      const { logger, output, records } = capturedLogger();
      const bearer = `Bearer ${planted('jwt')}`;
      const cookie = `sid=${planted('session')}`;
      const apiKey = planted('x-api-key');

      logger.info(
        {
          req: {
            method: 'GET',
            url: '/customers',
            headers: { authorization: bearer, cookie, 'x-api-key': apiKey, accept: 'application/json' },
          },
        },
        'request',
      );
      logger.warn({ headers: { Authorization: bearer, 'Set-Cookie': [cookie] } }, 'upstream answered');

      for (const secret of [bearer, cookie, apiKey]) expect(output()).not.toContain(secret);
      const [request, upstream] = records();
      expect(request.req).toEqual({
        method: 'GET',
        url: '/customers',
        headers: {
          authorization: REDACTED,
          cookie: REDACTED,
          'x-api-key': REDACTED,
          accept: 'application/json',
        },
      });
      expect(upstream.headers).toEqual({ Authorization: REDACTED, 'Set-Cookie': REDACTED });
    });

    it('recognises a sensitive key whatever its case or separator', () => {
      const { logger, output } = capturedLogger();
      const secrets = {
        PASSWORD: planted('upper'),
        access_token: planted('snake-access'),
        refresh_token: planted('snake-refresh'),
        id_token: planted('snake-id'),
        client_secret: planted('snake-secret'),
        'Api-Key': planted('kebab'),
        national_id: planted('snake-national-id'),
      };

      logger.info({ oauth: secrets }, 'token response');

      for (const secret of Object.values(secrets)) expect(output()).not.toContain(secret);
      expect(output().split(REDACTED)).toHaveLength(Object.keys(secrets).length + 1);
    });
  });

  describe('when a log line carries customer data', () => {
    it('redacts national id, mobile, email and address but keeps the name', () => {
      const { logger, output, records } = capturedLogger();
      const { customer: ada, secrets } = customer('Ada Lovelace');

      logger.info({ event: 'CustomerViewed', detail: { customer: ada } }, 'customer viewed');

      for (const secret of secrets) expect(output()).not.toContain(secret);
      expect(output()).toContain('Ada Lovelace');
      expect(records()[0]).toMatchObject({
        event: 'CustomerViewed',
        detail: {
          customer: {
            id: ada.id,
            name: 'Ada Lovelace',
            classification: 'restricted',
            nationalId: REDACTED,
            mobile: REDACTED,
            email: REDACTED,
            address: REDACTED,
          },
        },
      });
    });

    it('redacts every customer in an array, at any position', () => {
      const { logger, output, records } = capturedLogger();
      const people = [customer('Ada Lovelace'), customer('Charles Babbage'), customer('Mary Somerville')];

      logger.info({ page: { items: people.map((p) => p.customer), total: 3 } }, 'customers listed');

      for (const secret of people.flatMap((p) => p.secrets)) expect(output()).not.toContain(secret);
      const items = (records()[0].page as { items: Array<Record<string, unknown>> }).items;
      expect(items.map((item) => item.name)).toEqual(['Ada Lovelace', 'Charles Babbage', 'Mary Somerville']);
      expect(items.every((item) => item.email === REDACTED && item.nationalId === REDACTED)).toBe(true);
    });

    it('does not log what lies deeper than it can check', () => {
      const { logger, output } = capturedLogger();
      const password = planted('deep-password');
      let nested: Record<string, unknown> = { password, note: 'deep down' };
      for (let level = 0; level < 12; level += 1) nested = { level, nested };

      logger.info({ nested }, 'deep');

      expect(output()).not.toContain(password);
      expect(output()).not.toContain('deep down');
      expect(output()).toContain(TRUNCATED);
    });

    it('keeps dates as ISO timestamps', () => {
      const { logger, records } = capturedLogger();
      logger.info({ expiresAt: new Date('2025-06-01T12:00:00.000Z') }, 'grant issued');
      expect(records()[0].expiresAt).toBe('2025-06-01T12:00:00.000Z');
    });
  });

  describe('when an error is logged', () => {
    class UpstreamError extends Error {
      constructor(
        message: string,
        readonly config: Record<string, unknown>,
      ) {
        super(message);
        this.name = 'UpstreamError';
      }
    }

    it('keeps its type, message and stack but redacts its sensitive properties', () => {
      const { logger, output, records } = capturedLogger();
      const token = planted('upstream-token');
      const email = planted('email');
      const error = new UpstreamError('policy service refused', {
        headers: { authorization: `Bearer ${token}` },
        email,
        retries: 2,
      });

      logger.error({ err: error }, 'call failed');
      logger.error(error);

      expect(output()).not.toContain(token);
      expect(output()).not.toContain(email);
      const [withKey, direct] = records();
      for (const line of [withKey, direct]) {
        expect(line.err).toMatchObject({
          type: 'UpstreamError',
          message: 'policy service refused',
          stack: expect.stringContaining('policy service refused'),
          config: { headers: { authorization: REDACTED }, email: REDACTED, retries: 2 },
        });
      }
      expect(direct.msg).toBe('policy service refused');
    });
  });

  describe('redactDeep', () => {
    it('turns an Error into its type, message and stack with sensitive properties redacted', () => {
      const error = Object.assign(new Error('cannot reach the vault'), {
        password: planted('password'),
        request: { refreshToken: planted('refresh'), path: '/v1/secret' },
      });

      expect(redactDeep(error)).toEqual({
        type: 'Error',
        message: 'cannot reach the vault',
        stack: error.stack,
        password: REDACTED,
        request: { refreshToken: REDACTED, path: '/v1/secret' },
      });
    });

    it('redacts errors nested in objects and arrays', () => {
      const failure = Object.assign(new TypeError('bad input'), { mobile: planted('mobile') });
      expect(redactDeep({ failures: [failure] })).toEqual({
        failures: [{ type: 'TypeError', message: 'bad input', stack: failure.stack, mobile: REDACTED }],
      });
    });

    it('leaves its input untouched', () => {
      const input = { password: 'p', customer: { email: 'e@example.com', name: 'Ada' } };
      const copy = structuredClone(input);
      redactDeep(input);
      expect(input).toEqual(copy);
    });

    it('returns primitives as they are', () => {
      expect([redactDeep('text'), redactDeep(42), redactDeep(null), redactDeep(undefined)]).toEqual([
        'text',
        42,
        null,
        undefined,
      ]);
    });
  });
});
