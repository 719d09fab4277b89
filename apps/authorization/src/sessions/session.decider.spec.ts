import type { SessionEvent } from '@warden/contracts';
import { v7 as uuidv7 } from 'uuid';
import type { SessionCommand } from './session.commands';
import { decide, evolve, initialSessionState, type SessionState } from './session.decider';
import { SessionError, SessionErrorCode } from './session.exception';

function given(past: readonly SessionEvent[]) {
  const state = past.reduce<SessionState>(evolve, initialSessionState);
  return {
    when(command: SessionCommand) {
      const run = () => decide(command, state);
      return {
        then: (expected: readonly SessionEvent[]) => expect(run()).toEqual(expected),
        thenThrows: (code: SessionErrorCode, status: number) => {
          expect(run).toThrow(SessionError);
          try {
            run();
          } catch (error) {
            expect(error).toMatchObject({ code, status });
          }
        },
      };
    },
  };
}

const userId = uuidv7();
const sessionId = uuidv7();
const started: SessionEvent = {
  type: 'LoginSucceeded',
  data: { userId, sessionId, mfa: false, geo: { country: 'FR', city: 'Paris', asn: 3215, asnOrg: 'Orange S.A.' } },
};
const revoked: SessionEvent = { type: 'SessionRevoked', data: { userId, sessionId, reason: 'logout' } };

describe('Session', () => {
  describe('StartSession', () => {
    it('records LoginSucceeded with where the login came from', () => {
      given([])
        .when({ type: 'StartSession', data: { userId, sessionId, mfa: false, geo: { country: 'FR', city: 'Paris', asn: 3215, asnOrg: 'Orange S.A.' } } })
        .then([started]);
    });

    it('refuses to start a session twice', () => {
      given([started])
        .when({ type: 'StartSession', data: { userId, sessionId, mfa: false, geo: null } })
        .thenThrows(SessionErrorCode.AlreadyStarted, 409);
    });
  });

  describe('RecordRefresh', () => {
    it('records TokenRefreshed on an active session', () => {
      given([started]).when({ type: 'RecordRefresh', data: { sessionId } }).then([{ type: 'TokenRefreshed', data: { userId, sessionId } }]);
    });

    it('refuses a revoked session with SESSION_NOT_ACTIVE (401)', () => {
      given([started, revoked]).when({ type: 'RecordRefresh', data: { sessionId } }).thenThrows(SessionErrorCode.NotActive, 401);
    });
  });

  describe('RevokeSession', () => {
    it('records SessionRevoked with the reason', () => {
      given([started]).when({ type: 'RevokeSession', data: { sessionId, reason: 'logout' } }).then([revoked]);
    });

    it('records nothing for a session already revoked', () => {
      given([started, revoked]).when({ type: 'RevokeSession', data: { sessionId, reason: 'logout' } }).then([]);
    });
  });

  describe('DetectRefreshReuse', () => {
    it('records the reuse and revokes the whole session', () => {
      given([started])
        .when({ type: 'DetectRefreshReuse', data: { sessionId } })
        .then([
          { type: 'RefreshTokenReuseDetected', data: { userId, sessionId } },
          { type: 'SessionRevoked', data: { userId, sessionId, reason: 'refresh_token_reuse' } },
        ]);
    });

    it('on a session already revoked, records the reuse only', () => {
      given([started, revoked])
        .when({ type: 'DetectRefreshReuse', data: { sessionId } })
        .then([{ type: 'RefreshTokenReuseDetected', data: { userId, sessionId } }]);
    });
  });
});
