import { decide, evolve, initialScimUserState, type ScimUserCommand } from './scim.decider';
import type { ScimEvent } from '@warden/contracts';

const userId = '0190f0c8-1111-7000-8000-000000000001';
const given = (events: ScimEvent[]) => ({ when: (command: ScimUserCommand) => decide(command, events.reduce(evolve, initialScimUserState)) });
const deprovisioned = (reason: 'inactive' | 'deleted'): ScimEvent => ({ type: 'UserDeprovisioned', data: { userId, source: 'scim', reason } });

describe('SCIM user provisioning decider', () => {
  it('deprovisions an active user once per reason', () => {
    expect(given([]).when({ type: 'DeprovisionUser', data: { userId, reason: 'inactive' } })).toEqual([deprovisioned('inactive')]);
    expect(given([deprovisioned('inactive')]).when({ type: 'DeprovisionUser', data: { userId, reason: 'inactive' } })).toEqual([]);
    expect(given([deprovisioned('inactive')]).when({ type: 'DeprovisionUser', data: { userId, reason: 'deleted' } })).toEqual([deprovisioned('deleted')]);
  });

  it('reprovisions only after an inactive deprovisioning', () => {
    const reprovision: ScimUserCommand = { type: 'ReprovisionUser', data: { userId } };
    expect(given([deprovisioned('inactive')]).when(reprovision)).toEqual([{ type: 'UserReprovisioned', data: { userId, source: 'scim' } }]);
    expect(given([]).when(reprovision)).toEqual([]);
    expect(given([deprovisioned('deleted')]).when(reprovision)).toEqual([]);
  });
});
