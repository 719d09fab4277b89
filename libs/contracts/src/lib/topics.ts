/** The services of Warden, by the name used in topics, schemas and consumer groups. */
export const SERVICES = [
  'authorization',
  'customer-records',
  'exports',
  'offboarding',
  'anomaly-alerting',
  'audit',
] as const;
export type ServiceName = (typeof SERVICES)[number];

export const Topics = {
  /** The events topic of a service: its committed events, in order per stream. */
  events: (service: ServiceName): string => `warden.${service}.events.v1`,
  /** Saga commands addressed to a service. */
  commands: (service: ServiceName): string => `warden.${service}.commands.v1`,
  /** Read events (who viewed, searched, downloaded what). */
  access: 'warden.access.v1',
  alerts: 'warden.alerts.v1',
  alertsOcsf: 'warden.alerts.ocsf.v1',
  /** The dead-letter topic of a topic. */
  deadLetter: (topic: string): string => `${topic}.dlq`,
} as const;
