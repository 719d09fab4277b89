// Shared Jest setup for every project. Each project runs three tiers:
//   unit  *.spec.ts       pure logic, no infrastructure
//   int   *.int-spec.ts   real Postgres, Redis and Kafka (see libs/testing)
//   e2e   *.e2e-spec.ts   running apps over HTTP and Kafka
const path = require('node:path');
const { compilerOptions } = require('./tsconfig.base.json');

const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
      keepClassNames: true,
    },
    module: { type: 'commonjs' },
    sourceMaps: 'inline',
  },
];

const moduleNameMapper = Object.fromEntries(
  Object.entries(compilerOptions.paths).map(([alias, [target]]) => [
    `^${alias.replace('/', '\\/')}$`,
    path.join(__dirname, target),
  ]),
);

const tier = (projectDir, displayName, suffix, testTimeout) => ({
  displayName,
  rootDir: projectDir,
  testEnvironment: 'node',
  testMatch: [`<rootDir>/**/*.${suffix}.ts`],
  transform: { '^.+\\.ts$': swc },
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper,
  testTimeout,
});

/** Jest config for the project in `projectDir` with its three tiers. */
function wardenJestConfig(projectDir) {
  return {
    projects: [
      tier(projectDir, 'unit', 'spec', 10_000),
      tier(projectDir, 'int', 'int-spec', 120_000),
      tier(projectDir, 'e2e', 'e2e-spec', 180_000),
    ],
  };
}

module.exports = { wardenJestConfig };
