import { accessEventSpecs, SERVICES, Topics, type EventEnvelope, type ServiceName } from '@warden/contracts';

const EVENTS_TOPIC = /^warden\.([a-z-]+)\.events\.v1$/;
const isService = (name: string): name is ServiceName => (SERVICES as readonly string[]).includes(name);
/** The audit's outbox (checkpoints and chain-break alerts): a second event store, positions of its own. */
export const AUDIT_OUTBOX_SOURCE = 'audit:outbox';
/** The read events only customer-records writes (`AccessDenied` on the same topic comes from any service). */
const CUSTOMER_RECORDS_ACCESS_TYPES: ReadonlySet<string> = new Set(accessEventSpecs.map((spec) => spec.type));
/** `access-<service>-<userId>`: a service's own stream of denials (see `accessDeniedStreamId`). */
const DENIALS_STREAM = new RegExp(`^access-(${SERVICES.join('|')})-`);

/** The service whose store wrote an `AccessDenied`: named in its stream id, else customer-records (`access-<userId>`). */
const denialSource = (streamId: string): string => DENIALS_STREAM.exec(streamId)?.[1] ?? 'customer-records';

/**
 * The source of an event: the service whose event store wrote it, i.e. what its `globalPosition`
 * counts in; null when the envelope does not tell. A service's events topic is its own. On the
 * read events topic (`warden.access.v1`) customer-records' read events are its own, and every
 * service appends `AccessDenied` to streams of its own, named in the stream id. On
 * the alerts topic the audit's chain-break alerts (actor `system:audit`) come from its outbox, an
 * event store of its own beside its main log (`audit:outbox`), everything else from
 * anomaly-alerting. Pure.
 */
export function sourceOf(topic: string, event: Pick<EventEnvelope, 'type' | 'actor' | 'streamId'>): string | null {
  if (topic === Topics.access) {
    if (CUSTOMER_RECORDS_ACCESS_TYPES.has(event.type)) return 'customer-records';
    return event.type === 'AccessDenied' ? denialSource(event.streamId) : null;
  }
  if (topic === Topics.alerts) return event.actor.userId === 'system:audit' ? AUDIT_OUTBOX_SOURCE : 'anomaly-alerting';
  const service = EVENTS_TOPIC.exec(topic)?.[1];
  return service !== undefined && isService(service) ? service : null;
}
