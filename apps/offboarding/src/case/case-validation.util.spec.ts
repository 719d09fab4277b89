import { isWithinTeamScope, validateLeaver, validatePool, validateSuccessor, type DirectoryUser } from './case-validation.util';
import { OffboardingErrorCode } from './offboarding.exception';

const teams = [
  { id: 'root', parentId: null },
  { id: 'sales', parentId: 'root' },
  { id: 'sales-east', parentId: 'sales' },
  { id: 'support', parentId: 'root' },
];
const user = (id: string, overrides: Partial<DirectoryUser> = {}): DirectoryUser => ({
  id,
  status: 'active',
  teamId: 'sales',
  managerId: null,
  ...overrides,
});
const leaver = user('leaver');
const codeOf = (run: () => unknown): { code?: string; status?: number; message?: string } => {
  try {
    run();
  } catch (error) {
    return error as { code: string; status: number; message: string };
  }
  throw new Error('expected an error');
};

describe('Offboarding request validation', () => {
  describe('the leaver', () => {
    it('must exist (400)', () => {
      expect(codeOf(() => validateLeaver('ghost', null))).toMatchObject({
        code: OffboardingErrorCode.UnknownUser,
        status: 400,
        message: 'user ghost does not exist',
      });
    });

    it('must not be offboarded already (409)', () => {
      expect(codeOf(() => validateLeaver('leaver', user('leaver', { status: 'offboarded' })))).toMatchObject({
        code: OffboardingErrorCode.UserAlreadyOffboarded,
        status: 409,
      });
    });

    it('may be active, departing or disabled', () => {
      for (const status of ['active', 'departing', 'disabled']) {
        expect(validateLeaver('leaver', user('leaver', { status }))).toMatchObject({ status });
      }
    });
  });

  describe('the successor', () => {
    it('cannot be the leaver (400)', () => {
      expect(codeOf(() => validateSuccessor(leaver, 'leaver', leaver, teams))).toMatchObject({
        code: OffboardingErrorCode.SuccessorIsLeaver,
        status: 400,
      });
    });

    it('must exist (400)', () => {
      expect(codeOf(() => validateSuccessor(leaver, 'nobody', null, teams))).toMatchObject({
        code: OffboardingErrorCode.UnknownSuccessor,
        status: 400,
        message: 'successor nobody does not exist',
      });
    });

    it.each(['disabled', 'departing', 'offboarded'])('must not be %s (409)', (status) => {
      expect(codeOf(() => validateSuccessor(leaver, 's', user('s', { status }), teams))).toMatchObject({
        code: OffboardingErrorCode.SuccessorUnavailable,
        status: 409,
        message: `successor s is ${status} and cannot take customers over`,
      });
    });

    it('must be within the team scope (409)', () => {
      expect(codeOf(() => validateSuccessor(leaver, 's', user('s', { teamId: 'support' }), teams))).toMatchObject({
        code: OffboardingErrorCode.SuccessorOutOfScope,
        status: 409,
      });
    });

    it('is accepted in the same team, a team under it or above it', () => {
      for (const teamId of ['sales', 'sales-east', 'root']) {
        expect(() => validateSuccessor(leaver, 's', user('s', { teamId }), teams)).not.toThrow();
      }
    });
  });

  describe('team scope', () => {
    it('compares no-team only with no-team', () => {
      expect(isWithinTeamScope(null, null, teams)).toBe(true);
      expect(isWithinTeamScope(null, 'sales', teams)).toBe(false);
      expect(isWithinTeamScope('sales', null, teams)).toBe(false);
    });

    it('refuses siblings and cousins', () => {
      expect(isWithinTeamScope('sales-east', 'support', teams)).toBe(false);
    });

    it('survives a cycle in the team data', () => {
      const cyclic = [
        { id: 'a', parentId: 'b' },
        { id: 'b', parentId: 'a' },
      ];
      expect(isWithinTeamScope('a', 'c', cyclic)).toBe(false);
    });
  });

  describe('a successor pool', () => {
    it('must be a team (400)', () => {
      expect(codeOf(() => validatePool(leaver, 'nope', [], teams))).toMatchObject({ code: OffboardingErrorCode.UnknownPool, status: 400 });
    });

    it('must be within scope (409)', () => {
      expect(codeOf(() => validatePool(leaver, 'support', [user('m', { teamId: 'support' })], teams))).toMatchObject({
        code: OffboardingErrorCode.SuccessorOutOfScope,
        status: 409,
      });
    });

    it('needs an active member other than the leaver (409)', () => {
      expect(codeOf(() => validatePool(leaver, 'sales', [leaver, user('d', { status: 'disabled' })], teams))).toMatchObject({
        code: OffboardingErrorCode.EmptyPool,
        status: 409,
      });
    });

    it('gives the active members but the leaver', () => {
      expect(validatePool(leaver, 'sales', [leaver, user('a'), user('d', { status: 'disabled' }), user('b')], teams)).toEqual(['a', 'b']);
    });
  });
});
