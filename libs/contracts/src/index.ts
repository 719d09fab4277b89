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
