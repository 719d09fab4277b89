export * from './service-principals.decorator';
export * from './service-token.client';
