export * from './lib/consumer';
export * from './lib/inbox.migrations';
export * from './lib/kafka';
