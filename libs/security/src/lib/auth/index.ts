export * from './access.decorators';
export * from './auth.errors';
export * from './auth.guard';
export * from './jwt-verifier';
export * from './principal';
export * from './revocation';
export * from './tracked-keys';
