import { z } from 'zod';
import type { EventSpec } from '../lib/registry';

/**
 * Read events: who viewed, listed, searched or revealed which customers. The customer-records
 * service appends them to one stream per reader (`access-<userId>`) in its event store, so they are
 * hash-chained and durable like every other event, and its relay publishes them to
 * `warden.access.v1` (`Topics.access`). They carry ids, counts and field names, never a field's
 * value: a search by mobile number records that `mobile` was searched, not the number.
 */

/** The name of a customer field, as in the customer-records API (`mobile`, `nationalId`, …). */
export const customerFieldNameSchema = z
  .string()
  .regex(/^[a-z][A-Za-z]{1,49}$/, 'must be a customer field name');

/** At most this many customer ids are listed in one list or search event (the count is exact). */
export const MAX_ACCESS_CUSTOMER_IDS = 200;

export const ACCESS_CHANNELS = ['api', 'export', 'subject-access'] as const;

export const customerViewedV1 = z.strictObject({
  readerId: z.string().min(1).max(200),
  customerId: z.uuid(),
  /** Fields returned in clear (unmasked). */
  fieldsInClear: z.array(customerFieldNameSchema).max(50),
  /** Fields returned masked. */
  fieldsMasked: z.array(customerFieldNameSchema).max(50),
});
export type CustomerViewedData = z.infer<typeof customerViewedV1>;

const listing = z.strictObject({
  readerId: z.string().min(1).max(200),
  /** The names of the filters used (`q`, `tags`, `mobile`, …); never their values. */
  filterKeys: z.array(z.string().regex(/^[a-zA-Z]{1,50}$/)).max(20),
  resultCount: z.number().int().min(0),
  /** The customers returned, in order (at most `MAX_ACCESS_CUSTOMER_IDS`). */
  customerIds: z.array(z.uuid()).max(MAX_ACCESS_CUSTOMER_IDS),
  fieldsInClear: z.array(customerFieldNameSchema).max(50),
});

/** A page of the customer list without a search filter. */
export const customersListedV1 = listing;
export type CustomersListedData = z.infer<typeof customersListedV1>;
/** A page of the customer list with at least one search filter. */
export const customersSearchedV1 = listing;
export type CustomersSearchedData = z.infer<typeof customersSearchedV1>;

/** A sensitive field shown in clear on purpose, with the reader's reason. */
export const sensitiveFieldRevealedV1 = z.strictObject({
  readerId: z.string().min(1).max(200),
  customerId: z.uuid(),
  field: customerFieldNameSchema,
  reason: z.string().min(1).max(500),
});
export type SensitiveFieldRevealedData = z.infer<typeof sensitiveFieldRevealedV1>;

/** Everything held about a customer was handed out for a subject access request. */
export const subjectAccessProvidedV1 = z.strictObject({
  readerId: z.string().min(1).max(200),
  customerId: z.uuid(),
});
export type SubjectAccessProvidedData = z.infer<typeof subjectAccessProvidedV1>;

/** A service principal streamed customers on behalf of a user (the exports service generating a file). */
export const customersStreamedV1 = z.strictObject({
  readerId: z.string().min(1).max(200),
  onBehalfOf: z.string().min(1).max(200),
  /** The export (or other job) the rows were streamed for. */
  purposeId: z.string().min(1).max(200),
  filterKeys: z.array(z.string().regex(/^[a-zA-Z]{1,50}$/)).max(20),
  resultCount: z.number().int().min(0),
  fieldsInClear: z.array(customerFieldNameSchema).max(50),
});
export type CustomersStreamedData = z.infer<typeof customersStreamedV1>;

/** At most this many customer ids are named in one `CustomerRowsStreamed` event. */
export const MAX_STREAMED_CUSTOMER_IDS = 1000;

/**
 * Customers whose rows a stream sent (the exports service generating a file), named so that a
 * subject access request can tell who exported a customer: one event per (at most)
 * `MAX_STREAMED_CUSTOMER_IDS` rows, in stream order, next to the stream's `CustomersStreamed`.
 */
export const customerRowsStreamedV1 = z.strictObject({
  readerId: z.string().min(1).max(200),
  onBehalfOf: z.string().min(1).max(200),
  /** The export (or other job) the rows were streamed for, as in `CustomersStreamed`. */
  purposeId: z.string().min(1).max(200),
  /** Rows of the same stream sent before these. */
  offset: z.number().int().min(0),
  customerIds: z.array(z.uuid()).min(1).max(MAX_STREAMED_CUSTOMER_IDS),
  fieldsInClear: z.array(customerFieldNameSchema).max(50),
});
export type CustomerRowsStreamedData = z.infer<typeof customerRowsStreamedV1>;

export type AccessEvent =
  | { type: 'CustomerViewed'; data: CustomerViewedData }
  | { type: 'CustomersListed'; data: CustomersListedData }
  | { type: 'CustomersSearched'; data: CustomersSearchedData }
  | { type: 'SensitiveFieldRevealed'; data: SensitiveFieldRevealedData }
  | { type: 'SubjectAccessProvided'; data: SubjectAccessProvidedData }
  | { type: 'CustomersStreamed'; data: CustomersStreamedData }
  | { type: 'CustomerRowsStreamed'; data: CustomerRowsStreamedData };

/** The stream of a reader's access events in customer-records (reads, and its own denials). */
export const accessStreamId = (userId: string): string => `access-${userId}`;

/**
 * The stream of a user's `AccessDenied` events in `service`'s event store: `access-<userId>` in
 * customer-records (next to the reads), `access-<service>-<userId>` in every other service. Every
 * store that publishes to `warden.access.v1` then writes streams of its own, so each stream's
 * versions and hash chain come from one store (two stores writing one stream id would each
 * start at version 1, and the audit would take the second for a broken chain).
 */
export const accessDeniedStreamId = (service: string, userId: string): string =>
  service === 'customer-records' ? accessStreamId(userId) : `access-${service}-${userId}`;
export const isAccessStream = (streamId: string): boolean => streamId.startsWith('access-');

export const accessEventSpecs: EventSpec[] = [
  { type: 'CustomerViewed', versions: { 1: customerViewedV1 } },
  { type: 'CustomersListed', versions: { 1: customersListedV1 } },
  { type: 'CustomersSearched', versions: { 1: customersSearchedV1 } },
  { type: 'SensitiveFieldRevealed', versions: { 1: sensitiveFieldRevealedV1 } },
  { type: 'SubjectAccessProvided', versions: { 1: subjectAccessProvidedV1 } },
  { type: 'CustomersStreamed', versions: { 1: customersStreamedV1 } },
  { type: 'CustomerRowsStreamed', versions: { 1: customerRowsStreamedV1 } },
];
