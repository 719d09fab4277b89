export * from './mask.util';
export * from './field-levels.util';
