export * from './lib/event-store';
export * from './lib/event-store.errors';
export * from './lib/event-store.migrations';
export * from './lib/event-store.types';
export * from './lib/relay';
export * from './lib/batched-appender';
export * from './lib/command-answer';
export { preparedQuery } from './lib/prepared-query';
export { quoteSchema } from './lib/event-store.sql';
