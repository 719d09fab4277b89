import type { SessionEvent } from '@warden/contracts';
import type { SessionCommand } from './session.commands';
import { SessionError, SessionErrorCode } from './session.exception';

export type SessionState =
  | { status: 'none' }
  | { status: 'active' | 'revoked'; sessionId: string; userId: string };

export const initialSessionState: SessionState = { status: 'none' };

/** Pure: what a command on a session (a refresh-token family) produces. */
export function decide(command: SessionCommand, state: SessionState): SessionEvent[] {
  switch (command.type) {
    case 'StartSession': {
      if (state.status !== 'none') {
        throw new SessionError(SessionErrorCode.AlreadyStarted, `session ${command.data.sessionId} already exists`);
      }
      const { userId, sessionId, mfa, geo } = command.data;
      return [{ type: 'LoginSucceeded', data: { userId, sessionId, mfa, geo: geo ? { ...geo } : null } }];
    }
    case 'RecordRefresh': {
      if (state.status !== 'active') throw new SessionError(SessionErrorCode.NotActive, 'the session is not active');
      return [{ type: 'TokenRefreshed', data: { userId: state.userId, sessionId: state.sessionId } }];
    }
    case 'RevokeSession': {
      if (state.status !== 'active') return [];
      return [
        { type: 'SessionRevoked', data: { userId: state.userId, sessionId: state.sessionId, reason: command.data.reason } },
      ];
    }
    case 'DetectRefreshReuse': {
      if (state.status === 'none') throw new SessionError(SessionErrorCode.NotActive, 'the session is not active');
      const detected: SessionEvent = {
        type: 'RefreshTokenReuseDetected',
        data: { userId: state.userId, sessionId: state.sessionId },
      };
      if (state.status === 'revoked') return [detected];
      return [
        detected,
        { type: 'SessionRevoked', data: { userId: state.userId, sessionId: state.sessionId, reason: 'refresh_token_reuse' } },
      ];
    }
    default: {
      const unknown: never = command;
      throw new Error(`unhandled command ${String((unknown as { type: unknown }).type)}`);
    }
  }
}

/** Pure: the session's state after an event. */
export function evolve(state: SessionState, event: SessionEvent): SessionState {
  switch (event.type) {
    case 'LoginSucceeded':
      return { status: 'active', sessionId: event.data.sessionId, userId: event.data.userId };
    case 'SessionRevoked':
      return state.status === 'none' ? state : { ...state, status: 'revoked' };
    case 'TokenRefreshed':
    case 'RefreshTokenReuseDetected':
    case 'LoginFailed':
      return state;
    default: {
      const unknown: never = event;
      throw new Error(`unhandled event ${String((unknown as { type: unknown }).type)}`);
    }
  }
}
