import type { GrantEvent, GrantStatusName, PermissionData } from '@warden/contracts';
import type { GrantCommand } from './grant.commands';
import { GrantError, GrantErrorCode } from './grant.exception';

/** The longest a grant may last, from its request. */
export const MAX_GRANT_DAYS = 90;
const MAX_GRANT_MS = MAX_GRANT_DAYS * 24 * 3600 * 1000;

export type GrantState =
  | { status: 'none' }
  | { status: GrantStatusName; id: string; userId: string; permissions: PermissionData[]; expiresAt: string };

export const initialGrantState: GrantState = { status: 'none' };

const notFound = (grantId: string) => new GrantError(GrantErrorCode.NotFound, `grant ${grantId} not found`);

/**
 * Pure: what a command on a grant produces. pending → active (approved) | rejected | revoked |
 * expired; active → revoked | expired. Nobody approves or rejects their own grant.
 */
export function decide(command: GrantCommand, state: GrantState): GrantEvent[] {
  switch (command.type) {
    case 'RequestGrant': {
      if (state.status !== 'none') throw new GrantError(GrantErrorCode.AlreadyExists, `grant ${command.data.grantId} already exists`);
      const { now, ...data } = command.data;
      const expiresMs = Date.parse(data.expiresAt);
      const nowMs = Date.parse(now);
      if (Number.isNaN(expiresMs) || expiresMs <= nowMs) throw new GrantError(GrantErrorCode.InvalidExpiry, 'body.expiresAt: must be in the future');
      if (expiresMs - nowMs > MAX_GRANT_MS) {
        throw new GrantError(GrantErrorCode.InvalidExpiry, `body.expiresAt: must be at most ${MAX_GRANT_DAYS} days ahead`);
      }
      return [{ type: 'GrantRequested', data: { ...data, expiresAt: new Date(expiresMs).toISOString(), permissions: structuredClone(data.permissions) } }];
    }
    case 'ApproveGrant':
    case 'RejectGrant': {
      if (state.status === 'none') throw notFound(command.data.grantId);
      const { by, comment } = command.data;
      if (by === state.userId) throw new GrantError(GrantErrorCode.SelfApproval, 'nobody may approve or reject their own grant');
      if (state.status !== 'pending') throw new GrantError(GrantErrorCode.NotPending, `grant ${state.id} is ${state.status}, not pending`);
      const data = { grantId: state.id, userId: state.userId, by, comment };
      if (command.type === 'RejectGrant') return [{ type: 'GrantRejected', data }];
      if (Date.parse(state.expiresAt) <= Date.parse(command.data.now)) {
        throw new GrantError(GrantErrorCode.Expired, `grant ${state.id} expired before it was approved`);
      }
      return [{ type: 'GrantApproved', data }];
    }
    case 'RevokeGrant': {
      if (state.status === 'none') throw notFound(command.data.grantId);
      if (state.status !== 'pending' && state.status !== 'active') {
        throw new GrantError(GrantErrorCode.NotRevocable, `grant ${state.id} is ${state.status}`);
      }
      const { by, comment } = command.data;
      return [{ type: 'GrantRevoked', data: { grantId: state.id, userId: state.userId, by, comment } }];
    }
    case 'ExpireGrant': {
      if (state.status === 'none') throw notFound(command.data.grantId);
      const due = Date.parse(state.expiresAt) <= Date.parse(command.data.now);
      if (!due || (state.status !== 'pending' && state.status !== 'active')) return [];
      return [{ type: 'GrantExpired', data: { grantId: state.id, userId: state.userId, expiresAt: state.expiresAt } }];
    }
    default: {
      const unknown: never = command;
      throw new Error(`unhandled command ${String((unknown as { type: unknown }).type)}`);
    }
  }
}

/** Pure: the grant's state after an event. */
export function evolve(state: GrantState, event: GrantEvent): GrantState {
  switch (event.type) {
    case 'GrantRequested': {
      const { grantId, userId, permissions, expiresAt } = event.data;
      return { status: 'pending', id: grantId, userId, permissions, expiresAt };
    }
    case 'GrantApproved':
      return state.status === 'none' ? state : { ...state, status: 'active' };
    case 'GrantRejected':
      return state.status === 'none' ? state : { ...state, status: 'rejected' };
    case 'GrantRevoked':
      return state.status === 'none' ? state : { ...state, status: 'revoked' };
    case 'GrantExpired':
      return state.status === 'none' ? state : { ...state, status: 'expired' };
    default: {
      const unknown: never = event;
      throw new Error(`unhandled event ${String((unknown as { type: unknown }).type)}`);
    }
  }
}
