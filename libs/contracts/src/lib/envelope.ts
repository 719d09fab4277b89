import { z } from 'zod';

const hex64 = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex characters (SHA-256)');

/**
 * Where the actor's address is (an offline GeoIP and ASN lookup): country (ISO 3166 alpha-2),
 * city, autonomous system number and organisation. Null for private and loopback addresses.
 */
export const actorGeoSchema = z.strictObject({
  country: z.string().max(2).nullable(),
  city: z.string().max(200).nullable(),
  asn: z.number().int().min(0).max(4294967295).nullable(),
  asnOrg: z.string().max(300).nullable(),
});
export type ActorGeo = z.infer<typeof actorGeoSchema>;

/** Who caused an event. System work acts as one named principal (`system:<service>`). */
export const actorSchema = z.strictObject({
  userId: z.string().min(1).max(200),
  sessionId: z.string().max(200).nullable(),
  ip: z.string().max(100).nullable(),
  userAgent: z.string().max(1000).nullable(),
  deviceId: z.string().max(200).nullable(),
  /**
   * Where `ip` is, for events caused by an HTTP request to a service that looks it up (authorization).
   * Absent in older events and where no lookup is made (the key is then left out, never `undefined`,
   * so the hash of an event without it is what it always was).
   */
  geo: actorGeoSchema.nullable().optional(),
});
export type Actor = z.infer<typeof actorSchema>;

/** The envelope every event travels in, on Kafka and in the audit trail. */
export const envelopeSchema = z.strictObject({
  eventId: z.uuid({ version: 'v7', message: 'must be a UUIDv7' }),
  type: z.string().regex(/^[A-Z][A-Za-z0-9]+$/, 'must be a PascalCase event name'),
  schemaVersion: z.number().int().positive(),
  streamId: z.string().min(1).max(200),
  streamVersion: z.number().int().positive(),
  globalPosition: z.number().int().positive(),
  occurredAt: z.iso.datetime({ offset: true }),
  actor: actorSchema,
  correlationId: z.string().min(1).max(200),
  causationId: z.string().max(200).nullable(),
  data: z.record(z.string(), z.unknown()),
  prevHash: hex64,
  hash: hex64,
});
export type EventEnvelope<TData = Record<string, unknown>> = Omit<z.infer<typeof envelopeSchema>, 'data'> & {
  data: TData;
};

/** The fields covered by an event's hash: everything but its global position and the hashes. */
export type HashedEnvelope = Omit<EventEnvelope, 'globalPosition' | 'prevHash' | 'hash'>;

export const systemActor = (service: string): Actor => ({
  userId: `system:${service}`,
  sessionId: null,
  ip: null,
  userAgent: null,
  deviceId: null,
});
