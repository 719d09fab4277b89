/**
 * `@casl/ability` v7 publishes its typings only through `package.json#exports`, which the
 * repository's `moduleResolution: node10` does not read. This points the module at them.
 * `ability.ts` references this file so every program that compiles it sees the declaration.
 */
declare module '@casl/ability' {
  export * from '@casl/ability/dist/types/index';
}
