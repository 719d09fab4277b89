import nx from '@nx/eslint-plugin';
import warden from './tools/eslint-rules/index.js';

/**
 * Layers, enforced through project tags (see docs/architecture.md): an app never imports another
 * app; platform libraries import only platform libraries and contracts; contracts import nothing
 * of ours. Tests (and their fixtures under src/test) may also use libs/testing.
 */
const boundaries = (forTests) => {
  const testing = forTests ? ['type:testing'] : [];
  return [
    'error',
    {
      enforceBuildableLibDependency: true,
      allow: [],
      // Only tests use libs/testing, which builds on the libraries under test.
      ignoredCircularDependencies: [['testing', '*']],
      depConstraints: [
        { sourceTag: 'type:contracts', onlyDependOnLibsWithTags: [...testing] },
        { sourceTag: 'type:platform', onlyDependOnLibsWithTags: ['type:platform', 'type:contracts', ...testing] },
        {
          sourceTag: 'type:domain',
          onlyDependOnLibsWithTags: ['type:domain', 'type:platform', 'type:contracts', ...testing],
        },
        { sourceTag: 'type:testing', onlyDependOnLibsWithTags: ['type:testing', 'type:platform', 'type:contracts'] },
        {
          sourceTag: 'type:app',
          onlyDependOnLibsWithTags: ['type:domain', 'type:platform', 'type:contracts', ...testing],
        },
        { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
        { sourceTag: 'scope:customer-records', onlyDependOnLibsWithTags: ['scope:shared', 'scope:customer-records'] },
      ],
    },
  ];
};

const testFiles = ['**/*.spec.ts', '**/*.int-spec.ts', '**/*.e2e-spec.ts', '**/src/test/**/*.ts'];

export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  ...nx.configs['flat/javascript'],
  {
    ignores: ['**/dist', '**/node_modules', '**/.nx', 'bench/results', 'coverage'],
  },
  {
    files: ['**/*.ts'],
    plugins: { warden },
    rules: {
      'warden/require-access-rule': 'error',
      '@nx/enforce-module-boundaries': boundaries(false),
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
      'no-restricted-syntax': ['error', { selector: 'ExportDefaultDeclaration', message: 'Use named exports.' }],
    },
  },
  {
    files: testFiles,
    rules: {
      '@nx/enforce-module-boundaries': boundaries(true),
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
];
