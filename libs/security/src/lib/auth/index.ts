export * from './revocation';
