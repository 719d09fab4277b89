export * from './lib/blind-index';
export * from './lib/crypto.errors';
export * from './lib/crypto.types';
export * from './lib/field-cipher';
export * from './lib/field-encryption';
export * from './lib/key-rotation';
export * from './lib/static-key-provider';
export type { DataKeyCacheOptions } from './lib/data-key-cache';
