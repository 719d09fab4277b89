import { connectDataSource, isUnreachableDatabaseError } from './database';

/** A data source whose `initialize` fails with the given errors, then succeeds. */
const failingThen = (...errors: Error[]) => {
  const calls = { initialize: 0, disconnect: 0 };
  return {
    calls,
    dataSource: {
      initialize: async () => {
        calls.initialize += 1;
        const error = errors.shift();
        if (error) throw error;
      },
      driver: {
        disconnect: async () => {
          calls.disconnect += 1;
        },
      },
    },
  };
};
const coded = (message: string, code: string) => Object.assign(new Error(message), { code });
const noSleep = async () => undefined;

describe('connectDataSource', () => {
  it('waits out an unreachable database, closing each failed pool, with growing back-off', async () => {
    const { dataSource, calls } = failingThen(
      coded('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED'),
      new Error('Connection terminated due to connection timeout'),
      coded('the database system is starting up', '57P03'),
    );
    const waits: number[] = [];
    await connectDataSource(dataSource, { sleep: noSleep, onRetry: (_, inMs) => waits.push(inMs) });
    expect(calls).toEqual({ initialize: 4, disconnect: 3 });
    expect(waits).toEqual([250, 500, 1000]);
  });

  it('fails at once on an error waiting does not fix (wrong password, missing database)', async () => {
    const { dataSource, calls } = failingThen(coded('password authentication failed for user "warden"', '28P01'));
    await expect(connectDataSource(dataSource, { sleep: noSleep })).rejects.toThrow('password authentication failed');
    expect(calls.initialize).toBe(1);
  });

  it('gives up with the last error once the wait is over', async () => {
    const refused = () => coded('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED');
    const { dataSource, calls } = failingThen(refused(), refused(), refused(), refused());
    await expect(connectDataSource(dataSource, { waitMs: 0, sleep: noSleep })).rejects.toThrow('ECONNREFUSED');
    expect(calls.initialize).toBe(1);
  });
});

describe('isUnreachableDatabaseError', () => {
  it.each([
    ['connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED', true],
    ['timeout exceeded when trying to connect', undefined, true],
    ['sorry, too many clients already', '53300', true],
    ['database "nope" does not exist', '3D000', false],
    ['relation "x" does not exist', '42P01', false],
  ])('%s → %s', (message, code, expected) => {
    expect(isUnreachableDatabaseError(code ? coded(message, code) : new Error(message))).toBe(expected);
  });
});
