// The console's tiers: the shared unit/int/e2e ones (jest.preset.js), plus `component`:
// React components rendered in jsdom (`*.component-spec.tsx`) with Testing Library.
const path = require('node:path');
const { wardenJestConfig } = require('../../jest.preset');

const base = wardenJestConfig(__dirname);
const unit = base.projects.find((project) => project.displayName === 'unit');

const component = {
  ...unit,
  displayName: 'component',
  testEnvironment: 'jsdom',
  testMatch: ['<rootDir>/src/**/*.component-spec.tsx'],
  setupFilesAfterEnv: [...unit.setupFilesAfterEnv, path.join(__dirname, 'src/test/component-setup.ts')],
  transform: {
    '^.+\\.tsx?$': [
      '@swc/jest',
      {
        jsc: {
          parser: { syntax: 'typescript', tsx: true },
          transform: { react: { runtime: 'automatic' } },
          target: 'es2022',
        },
        module: { type: 'commonjs' },
        sourceMaps: 'inline',
      },
    ],
  },
  moduleFileExtensions: ['tsx', 'ts', 'js', 'json'],
  // Components import no style sheets (main.tsx does); any that one day does gets an empty module.
  moduleNameMapper: { ...unit.moduleNameMapper, '\\.(css|svg|png)$': path.join(__dirname, 'src/test/style.stub.js') },
};

module.exports = { ...base, projects: [...base.projects, component] };
