export * from './policy.types';
export * from './policy.constants';
export * from './policy.exception';
export * from './default-roles';
export * from './compile';
export * from './ability';
export * from './sql';
