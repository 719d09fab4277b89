import type { Finding } from '../detection/detection.types';
import { groupedFindings } from './finding-groups.util';

const f = (rule: Finding['rule'], subject: string, at: number): Finding => ({
  rule,
  subject,
  userId: subject,
  severity: 'medium',
  score: 50,
  summary: 's',
  evidence: [],
  at,
});

describe('groupedFindings', () => {
  it('groups a batch by (rule, subject) in one fixed order, each group in the order of its events', () => {
    const batch: Finding[][] = [
      [f('password-spray', 'net:a', 1), f('brute-force', 'u2', 1)],
      [],
      [f('brute-force', 'u1', 3)],
      [f('brute-force', 'u2', 2)],
      [f('password-spray', 'net:a', 0)],
    ];
    const groups = groupedFindings(batch);
    expect(groups.map((g) => g.map(({ finding, i }) => `${finding.rule}/${finding.subject}@${i}`))).toEqual([
      ['brute-force/u1@2'],
      ['brute-force/u2@0', 'brute-force/u2@3'],
      ['password-spray/net:a@0', 'password-spray/net:a@4'],
    ]);
  });

  it('orders the groups the same whatever order the batch brings them in', () => {
    const a = groupedFindings([[f('brute-force', 'b', 1)], [f('brute-force', 'a', 1)], [f('access-denied-burst', 'z', 1)]]);
    const b = groupedFindings([[f('access-denied-burst', 'z', 1)], [f('brute-force', 'a', 1)], [f('brute-force', 'b', 1)]]);
    const keys = (groups: typeof a) => groups.map((g) => `${g[0].finding.rule}/${g[0].finding.subject}`);
    expect(keys(a)).toEqual(['access-denied-burst/z', 'brute-force/a', 'brute-force/b']);
    expect(keys(b)).toEqual(keys(a));
  });

  it('gives nothing for a batch without findings', () => {
    expect(groupedFindings([[], []])).toEqual([]);
  });
});
