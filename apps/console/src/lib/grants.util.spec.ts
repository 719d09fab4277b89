import type { Grant } from '../api/authorization.api';
import { describePermission, grantsAwaitingDecision, joinWords, personLabel } from './grants.util';

const grant = (overrides: Partial<Grant>): Grant => ({
  id: 'g1',
  userId: 'u1',
  permissions: [],
  reason: 'r',
  status: 'pending',
  expiresAt: '2030-01-01T00:00:00.000Z',
  requestedBy: 'u1',
  decidedBy: null,
  comment: null,
  createdAt: '2029-12-31T00:00:00.000Z',
  ...overrides,
});

describe('grants.util', () => {
  describe('describePermission', () => {
    it('says what a reveal grant allows, on which customers, and each field in clear', () => {
      expect(
        describePermission({
          action: 'read',
          subject: 'Customer',
          conditions: { owner: 'me', classification: 'within-clearance' },
          // As the database returns it (jsonb orders keys by length).
          fields: { address: 'clear', nationalId: 'clear' },
        }),
      ).toEqual({
        what: 'Read customers',
        scope: 'customers they own, up to their clearance',
        fields: 'National ID and Address in clear',
      });
    });

    it('groups fields by level, clear first, in the customer’s field order, and names several actions and the team scope', () => {
      expect(
        describePermission({
          action: ['read', 'update', 'export'],
          subject: 'Customer',
          conditions: { team: 'mine' },
          fields: { '*': 'none', email: 'masked', nationalId: 'clear', mobile: 'masked' },
        }),
      ).toEqual({
        what: 'Read, change and export customers',
        scope: 'customers of their team and its sub-teams',
        fields: 'National ID in clear; Mobile and E-mail masked; every other field hidden',
      });
    });

    it('says "never" for a deny rule, "every record" without conditions, and keeps unknown words as they are', () => {
      expect(describePermission({ action: 'export', subject: 'Customer', deny: true })).toEqual({
        what: 'Never export customers',
        scope: 'every record (no condition)',
        fields: null,
      });
      expect(describePermission({ action: 'archive', subject: 'Widget', conditions: { region: 'eu' } })).toEqual({
        what: 'Archive Widget',
        scope: 'Widget where region is eu',
        fields: null,
      });
    });
  });

  it('joins words as a sentence', () => {
    expect([joinWords([]), joinWords(['a']), joinWords(['a', 'b']), joinWords(['a', 'b', 'c'])]).toEqual([
      '',
      'a',
      'a and b',
      'a, b and c',
    ]);
  });

  it('leaves out decided grants and the caller’s own requests from the decisions awaiting them', () => {
    const grants = [
      grant({ id: 'a' }),
      grant({ id: 'b', userId: 'me' }),
      grant({ id: 'c', status: 'active' }),
      grant({ id: 'd', userId: 'u2' }),
    ];
    expect(grantsAwaitingDecision(grants, 'me').map((g) => g.id)).toEqual(['a', 'd']);
  });

  it('names a person by display and user name, "you", or the whole user id', () => {
    const id = '0193a2b4-0000-7000-8000-000000000001';
    expect(personLabel(id, 'other', { displayName: 'Sam Staff', username: 'sam' })).toBe('Sam Staff (sam)');
    expect(personLabel(id, id, { displayName: 'Sam Staff', username: 'sam' })).toBe('you');
    expect(personLabel(id, 'other', null)).toBe(`user ${id}`);
  });
});
