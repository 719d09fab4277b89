export * from './lib/consumer';
export * from './lib/inbox.migrations';
export * from './lib/kafka';
export * from './lib/start-with-retry';
export * from './lib/inbox-retention';
