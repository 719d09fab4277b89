import type { Geo } from './geo.util';

export type StartSession = {
  type: 'StartSession';
  data: { userId: string; sessionId: string; mfa: boolean; geo: Geo | null };
};
export type RecordRefresh = { type: 'RecordRefresh'; data: { sessionId: string } };
export type RevokeSession = { type: 'RevokeSession'; data: { sessionId: string; reason: string } };
/** A refresh token that was already rotated came back: the family is compromised. */
export type DetectRefreshReuse = { type: 'DetectRefreshReuse'; data: { sessionId: string } };

export type SessionCommand = StartSession | RecordRefresh | RevokeSession | DetectRefreshReuse;
