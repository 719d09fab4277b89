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

const tier = (projectDir, displayName, suffix) => ({
  displayName,
  setupFilesAfterEnv: [path.join(__dirname, `tools/jest/timeout-${displayName}.js`)],
  rootDir: projectDir,
  testEnvironment: 'node',
  testMatch: [`<rootDir>/**/*.${suffix}.ts`],
  transform: { '^.+\\.ts$': swc },
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper,
});

/** Jest config for the project in `projectDir` with its three tiers. */
function wardenJestConfig(projectDir) {
  return {
    globalSetup: path.join(__dirname, 'tools/jest/global-setup.js'),
    globalTeardown: path.join(__dirname, 'tools/jest/global-teardown.js'),
    projects: [
      tier(projectDir, 'unit', 'spec'),
      tier(projectDir, 'int', 'int-spec'),
      tier(projectDir, 'e2e', 'e2e-spec'),
    ],
  };
}

module.exports = { wardenJestConfig };
