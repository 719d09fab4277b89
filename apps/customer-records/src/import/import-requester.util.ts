import type { Actor } from '@warden/contracts';
import {
  ACTIONS,
  createPolicy,
  parseCompiledAbility,
  PolicyClient,
  type CompiledAbility,
  type CompiledRule,
  type Policy,
} from '@warden/security';
import type Redis from 'ioredis';

/**
 * Who an import runs as, kept with the import so that it can resume after the process stopped:
 * the requester's actor and correlation id (the events of a resumed import carry the same) and
 * the rules of their ability on customers, at the policy version they were read at.
 */
export type ImportRequester = {
  actor: Actor;
  correlationId: string;
  /** The policy version of the user when the import started (a change of their rights bumps it). */
  policyVersion: number;
  ability: CompiledAbility;
};

/**
 * The rules of `policy` that decide anything about customers (every action on `Customer`, and
 * the rules on any subject), as a compiled ability: `createPolicy` of it decides every customer
 * question as `policy` does. Grant rules keep their expiry.
 */
export function customerAbilitySnapshot(policy: Policy): CompiledAbility {
  const rules = new Set<CompiledRule>();
  for (const action of ACTIONS) for (const rule of policy.activeRulesFor(action, 'Customer')) rules.add(rule);
  return { userId: policy.userId, ...(policy.policyVersion === undefined ? {} : { policyVersion: policy.policyVersion }), rules: [...rules], validUntil: policy.validUntil };
}

/** The user's policy version as the services read it (Redis; missing: 0). */
export async function currentPolicyVersion(redis: Redis, userId: string): Promise<number> {
  const raw = await redis.get(PolicyClient.versionKey(userId));
  const version = raw === null ? 0 : Number(raw);
  if (!Number.isSafeInteger(version) || version < 0) throw new Error('the policy version is not a version');
  return version;
}

/**
 * The requester's policy for resuming their import, or `null` when it cannot be had without them:
 * their rights unchanged since the import started (same policy version) → the ability kept with
 * the import; changed → the ability of the new version from the shared cache, if there; else null
 * (the import is then failed, never resumed with rights the user may no longer have).
 */
export async function resumePolicy(redis: Redis, requester: ImportRequester, now = Date.now()): Promise<Policy | null> {
  const userId = requester.ability.userId;
  const version = await currentPolicyVersion(redis, userId);
  if (version === requester.policyVersion) return createPolicy(requester.ability);
  const cached = parseCompiledAbility(JSON.parse((await redis.get(PolicyClient.abilityKey(userId, version))) ?? 'null'));
  if (!cached || cached.userId !== userId) return null;
  if (cached.validUntil !== null && Date.parse(cached.validUntil) <= now) return null;
  return createPolicy(cached);
}
