import { csvSafe, decodeCursor, topicsOf, whereOf } from './trail-query.util';

describe('trail queries', () => {
  it('builds a parameterised filter: values never enter the SQL text', () => {
    const { sql, params } = whereOf({
      actor: "x' OR 1=1 --",
      customer: 'c-1',
      type: 'CustomerViewed,SensitiveFieldRevealed',
      service: 'customer-records',
      from: '2026-11-01T00:00:00Z',
      ip: '10.0.0.1',
      correlationId: 'corr-1',
    });
    expect(sql).not.toContain('OR 1=1');
    expect(sql).toContain('actor_id = $1');
    expect(params).toEqual([
      "x' OR 1=1 --",
      'c-1',
      ['CustomerViewed', 'SensitiveFieldRevealed'],
      ['warden.customer-records.events.v1', 'warden.access.v1'],
      '2026-11-01T00:00:00Z',
      '10.0.0.1',
      'corr-1',
    ]);
  });

  it('no filter matches everything', () => {
    expect(whereOf({})).toEqual({ sql: 'TRUE', params: [] });
  });

  it('maps services to their topics', () => {
    expect(topicsOf('authorization')).toEqual(['warden.authorization.events.v1']);
    expect(topicsOf('anomaly-alerting')).toContain('warden.alerts.v1');
  });

  it('refuses a forged cursor', () => {
    expect(decodeCursor('not-base64-json')).toBeNull();
    expect(decodeCursor(Buffer.from('["2026-11-01T00:00:00.000Z",12]').toString('base64url'))).toEqual({
      occurredAt: '2026-11-01T00:00:00.000Z',
      position: 12,
    });
    expect(decodeCursor(Buffer.from('["x",1.5]').toString('base64url'))).toBeNull();
  });

  it('defuses spreadsheet formulas in CSV cells', () => {
    expect(csvSafe('=HYPERLINK("x")')).toBe('\'=HYPERLINK("x")');
    expect(csvSafe('plain')).toBe('plain');
  });
});
