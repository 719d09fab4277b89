export * from './lib/broker';
export * from './lib/database';
export * from './lib/env';
export * from './lib/eventually';
export * from './lib/kafka';
export * from './lib/launcher';
export * from './lib/token-issuer';
