import type { GrantEvent, PermissionData } from '@warden/contracts';
import { v7 as uuidv7 } from 'uuid';
import type { GrantCommand, RequestGrant } from './grant.commands';
import { decide, evolve, initialGrantState, type GrantState } from './grant.decider';
import { GrantError, GrantErrorCode } from './grant.exception';

/** `given(past events).when(command).then(new events)` or `.thenThrows(code, status)`. */
function given(past: readonly GrantEvent[]) {
  const state = past.reduce<GrantState>(evolve, initialGrantState);
  return {
    when(command: GrantCommand) {
      const run = () => decide(command, state);
      return {
        then: (expected: readonly GrantEvent[]) => expect(run()).toEqual(expected),
        thenThrows: (code: GrantErrorCode, status: number) => {
          expect(run).toThrow(GrantError);
          expect(run).toThrow(expect.objectContaining({ code, status }));
        },
      };
    },
  };
}

const grantId = uuidv7();
const grantee = uuidv7();
const supervisor = uuidv7();
const NOW = '2030-06-01T12:00:00.000Z';
const LATER = '2030-06-02T12:00:00.000Z';
const AFTER_EXPIRY = '2030-06-03T12:00:00.000Z';
const permissions: PermissionData[] = [{ action: 'reveal', subject: 'Customer', conditions: { owner: 'me' } }];
const request = (overrides: Partial<RequestGrant['data']> = {}): RequestGrant => ({
  type: 'RequestGrant',
  data: { grantId, userId: grantee, permissions, reason: 'ticket 42', expiresAt: LATER, requestedBy: grantee, now: NOW, ...overrides },
});
const requested: GrantEvent = {
  type: 'GrantRequested',
  data: { grantId, userId: grantee, permissions, reason: 'ticket 42', expiresAt: LATER, requestedBy: grantee },
};
const decision = { grantId, userId: grantee, by: supervisor, comment: 'ok' };
const approved: GrantEvent = { type: 'GrantApproved', data: decision };

describe('Grant', () => {
  describe('RequestGrant', () => {
    it('records GrantRequested (pending)', () => {
      given([]).when(request()).then([requested]);
    });

    it('refuses an expiry in the past or now with GRANT_INVALID_EXPIRY (400)', () => {
      given([]).when(request({ expiresAt: NOW })).thenThrows(GrantErrorCode.InvalidExpiry, 400);
    });

    it('refuses an expiry more than 90 days ahead', () => {
      given([]).when(request({ expiresAt: '2030-09-01T12:00:00.000Z' })).thenThrows(GrantErrorCode.InvalidExpiry, 400);
      given([])
        .when(request({ expiresAt: '2030-08-30T12:00:00.000Z' }))
        .then([{ ...requested, data: { ...requested.data, expiresAt: '2030-08-30T12:00:00.000Z' } } as GrantEvent]);
    });
  });

  describe('ApproveGrant', () => {
    it('records GrantApproved by someone else', () => {
      given([requested]).when({ type: 'ApproveGrant', data: { grantId, by: supervisor, comment: 'ok', now: NOW } }).then([approved]);
    });

    it('never lets the grantee approve (GRANT_SELF_APPROVAL, 403)', () => {
      given([requested]).when({ type: 'ApproveGrant', data: { grantId, by: grantee, comment: null, now: NOW } }).thenThrows(GrantErrorCode.SelfApproval, 403);
    });

    it('refuses a grant that expired while pending (GRANT_EXPIRED, 409)', () => {
      given([requested]).when({ type: 'ApproveGrant', data: { grantId, by: supervisor, comment: null, now: AFTER_EXPIRY } }).thenThrows(GrantErrorCode.Expired, 409);
    });

    it('refuses a grant that is not pending (409)', () => {
      given([requested, approved]).when({ type: 'ApproveGrant', data: { grantId, by: supervisor, comment: null, now: NOW } }).thenThrows(GrantErrorCode.NotPending, 409);
    });

    it('refuses an unknown grant (404)', () => {
      given([]).when({ type: 'ApproveGrant', data: { grantId, by: supervisor, comment: null, now: NOW } }).thenThrows(GrantErrorCode.NotFound, 404);
    });
  });

  describe('RejectGrant', () => {
    it('records GrantRejected', () => {
      given([requested]).when({ type: 'RejectGrant', data: { grantId, by: supervisor, comment: 'ok' } }).then([{ type: 'GrantRejected', data: decision }]);
    });

    it('never lets the grantee reject (403)', () => {
      given([requested]).when({ type: 'RejectGrant', data: { grantId, by: grantee, comment: null } }).thenThrows(GrantErrorCode.SelfApproval, 403);
    });
  });

  describe('RevokeGrant', () => {
    it('records GrantRevoked for an active grant', () => {
      given([requested, approved]).when({ type: 'RevokeGrant', data: { grantId, by: grantee, comment: null } }).then([
        { type: 'GrantRevoked', data: { grantId, userId: grantee, by: grantee, comment: null } },
      ]);
    });

    it('refuses a rejected grant (GRANT_NOT_REVOCABLE, 409)', () => {
      given([requested, { type: 'GrantRejected', data: decision }])
        .when({ type: 'RevokeGrant', data: { grantId, by: supervisor, comment: null } })
        .thenThrows(GrantErrorCode.NotRevocable, 409);
    });
  });

  describe('ExpireGrant', () => {
    const expired: GrantEvent = { type: 'GrantExpired', data: { grantId, userId: grantee, expiresAt: LATER } };

    it('records GrantExpired for an active grant past its expiry', () => {
      given([requested, approved]).when({ type: 'ExpireGrant', data: { grantId, now: AFTER_EXPIRY } }).then([expired]);
    });

    it('records nothing before the expiry, or a second time (idempotent sweeps)', () => {
      given([requested, approved]).when({ type: 'ExpireGrant', data: { grantId, now: NOW } }).then([]);
      given([requested, approved, expired]).when({ type: 'ExpireGrant', data: { grantId, now: AFTER_EXPIRY } }).then([]);
    });

    it('leaves a revoked grant revoked', () => {
      given([requested, approved, { type: 'GrantRevoked', data: decision }]).when({ type: 'ExpireGrant', data: { grantId, now: AFTER_EXPIRY } }).then([]);
    });
  });
});
