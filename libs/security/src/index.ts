export * from './lib/auth';
export * from './lib/masking';
export * from './lib/policy';
export * from './lib/policy-client';
export * from './lib/service-token';
export * from './lib/recently-used';
