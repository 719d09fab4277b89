import type { ScimEvent } from '@warden/contracts';

/** Stream `scim-user-<userId>`: what SCIM did to a user's provisioning. */
export type ScimUserState = { deprovisioned: null | 'inactive' | 'deleted' };

export const initialScimUserState: ScimUserState = { deprovisioned: null };

export type ScimUserCommand =
  | { type: 'DeprovisionUser'; data: { userId: string; reason: 'inactive' | 'deleted' } }
  | { type: 'ReprovisionUser'; data: { userId: string } };

export const scimUserStreamId = (userId: string): string => `scim-user-${userId}`;

/**
 * Pure. Deprovisioning is recorded once per reason: a repeated `active: false` appends nothing, a
 * DELETE after it still does (`deleted` says more). Reprovisioning follows `inactive` only.
 */
export function decide(command: ScimUserCommand, state: ScimUserState): ScimEvent[] {
  switch (command.type) {
    case 'DeprovisionUser': {
      const { userId, reason } = command.data;
      if (state.deprovisioned === 'deleted' || state.deprovisioned === reason) return [];
      return [{ type: 'UserDeprovisioned', data: { userId, source: 'scim', reason } }];
    }
    case 'ReprovisionUser':
      return state.deprovisioned === 'inactive' ? [{ type: 'UserReprovisioned', data: { userId: command.data.userId, source: 'scim' } }] : [];
    default: {
      const unknown: never = command;
      throw new Error(`unhandled command ${String((unknown as { type: unknown }).type)}`);
    }
  }
}

export function evolve(state: ScimUserState, event: ScimEvent): ScimUserState {
  switch (event.type) {
    case 'UserDeprovisioned':
      return { deprovisioned: event.data.reason };
    case 'UserReprovisioned':
      return { deprovisioned: null };
    default: {
      const unknown: never = event;
      throw new Error(`unhandled event ${String((unknown as { type: unknown }).type)}`);
    }
  }
}
