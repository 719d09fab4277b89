import { SERVICE_CLIENT_ID_PATTERN } from '@warden/contracts';
import { createHash, timingSafeEqual } from 'node:crypto';

/** Shortest accepted client secret. */
export const MIN_CLIENT_SECRET_LENGTH = 32;

/** A configured service client: its id and the SHA-256 of its secret (the secret itself is not kept). */
export type ServiceClient = { clientId: string; secretDigest: Buffer };

export const secretDigest = (secret: string): Buffer => createHash('sha256').update(secret, 'utf8').digest();

/**
 * Parses `WARDEN_SERVICE_CLIENTS` (`exports=<secret>,offboarding=<secret>,…`). Throws an error that
 * names the faulty entry by position or client id, never quoting a secret.
 */
export function parseServiceClients(raw: string): ServiceClient[] {
  const clients: ServiceClient[] = [];
  const entries = raw.split(',').map((entry) => entry.trim()).filter(Boolean);
  entries.forEach((entry, index) => {
    const eq = entry.indexOf('=');
    if (eq <= 0) throw new Error(`entry ${index + 1} must be <clientId>=<secret>`);
    const clientId = entry.slice(0, eq).trim();
    const secret = entry.slice(eq + 1).trim();
    if (!SERVICE_CLIENT_ID_PATTERN.test(clientId)) throw new Error(`entry ${index + 1}: the client id must match ${SERVICE_CLIENT_ID_PATTERN.source}`);
    if (secret.length < MIN_CLIENT_SECRET_LENGTH) {
      throw new Error(`the secret of ${clientId} must have at least ${MIN_CLIENT_SECRET_LENGTH} characters`);
    }
    if (clients.some((client) => client.clientId === clientId)) throw new Error(`${clientId} is configured twice`);
    clients.push({ clientId, secretDigest: secretDigest(secret) });
  });
  return clients;
}

/** Compared against when the client id is unknown, so that the work is the same either way. */
const UNKNOWN_CLIENT_DIGEST = secretDigest('unknown client: no secret matches this one');

/**
 * The client whose id and secret these are, or null. Digests of equal length are compared in
 * constant time; an unknown id is compared against a dummy digest all the same.
 */
export function authenticateClient(clients: readonly ServiceClient[], clientId: string, secret: string): ServiceClient | null {
  const client = clients.find((candidate) => candidate.clientId === clientId) ?? null;
  const matches = timingSafeEqual(secretDigest(secret), client?.secretDigest ?? UNKNOWN_CLIENT_DIGEST);
  return client !== null && matches ? client : null;
}
