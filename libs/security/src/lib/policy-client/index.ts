export * from './compiled-ability.schema';
export * from './policy-client';
