import { customerEventSpecs } from './customer-records/customer.events';
import { EventRegistry } from './lib/registry';

export * from './lib/envelope';
export * from './lib/errors';
export * from './lib/hash-chain';
export * from './lib/registry';
export * from './lib/topics';
export * from './customer-records/customer.events';

/** Every event type Warden defines, at every schema version. */
export const eventRegistry = new EventRegistry();
for (const spec of customerEventSpecs) eventRegistry.register(spec);
export * from './authorization/authorization.events';
import { authorizationEventSpecs } from './authorization/authorization.events';
for (const spec of authorizationEventSpecs) eventRegistry.register(spec);
export * from './authorization/scim.events';
import { scimEventSpecs } from './authorization/scim.events';
for (const spec of scimEventSpecs) eventRegistry.register(spec);
export * from './customer-records/access.events';
export * from './customer-records/customer-filter';
import { accessEventSpecs } from './customer-records/access.events';
for (const spec of accessEventSpecs) eventRegistry.register(spec);
export * from './exports/export.events';
import { exportEventSpecs } from './exports/export.events';
for (const spec of exportEventSpecs) eventRegistry.register(spec);
export * from './commands/commands';
export * from './anomaly-alerting/alert.events';
import { alertEventSpecs } from './anomaly-alerting/alert.events';
for (const spec of alertEventSpecs) eventRegistry.register(spec);
export * from './anomaly-alerting/access-denied.events';
import { accessDeniedEventSpecs } from './anomaly-alerting/access-denied.events';
for (const spec of accessDeniedEventSpecs) eventRegistry.register(spec);
export * from './offboarding/offboarding.events';
import { offboardingEventSpecs } from './offboarding/offboarding.events';
for (const spec of offboardingEventSpecs) eventRegistry.register(spec);
export * from './audit/audit.events';
import { auditEventSpecs } from './audit/audit.events';
for (const spec of auditEventSpecs) eventRegistry.register(spec);
