// ESLint (flat config): TypeScript rules plus Nx module boundaries, enforced as errors.
import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

/**
 * Who may import whom. type: apps → libs → util; contracts only from util. scope: each
 * phase's libs see only themselves and shared/ml libraries; the CLI client sees shared only.
 */
const depConstraints = [
  { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:lib', 'type:contracts', 'type:util'] },
  { sourceTag: 'type:lib', onlyDependOnLibsWithTags: ['type:lib', 'type:contracts', 'type:util'] },
  { sourceTag: 'type:contracts', onlyDependOnLibsWithTags: ['type:util'] },
  { sourceTag: 'type:util', onlyDependOnLibsWithTags: ['type:util'] },
  { sourceTag: 'type:tool', onlyDependOnLibsWithTags: ['type:lib', 'type:contracts', 'type:util'] },
  { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
  { sourceTag: 'scope:ml', onlyDependOnLibsWithTags: ['scope:shared', 'scope:ml'] },
  { sourceTag: 'scope:monitor', onlyDependOnLibsWithTags: ['scope:shared', 'scope:ml', 'scope:monitor'] },
  { sourceTag: 'scope:knowledge', onlyDependOnLibsWithTags: ['scope:shared', 'scope:knowledge'] },
  { sourceTag: 'scope:analyze', onlyDependOnLibsWithTags: ['scope:shared', 'scope:knowledge', 'scope:analyze'] },
  { sourceTag: 'scope:plan', onlyDependOnLibsWithTags: ['scope:shared', 'scope:plan'] },
  { sourceTag: 'scope:execute', onlyDependOnLibsWithTags: ['scope:shared', 'scope:ml', 'scope:execute'] },
  { sourceTag: 'scope:trainer', onlyDependOnLibsWithTags: ['scope:shared', 'scope:ml', 'scope:monitor', 'scope:trainer'] },
  { sourceTag: 'scope:client', onlyDependOnLibsWithTags: ['scope:shared', 'scope:client'] },
  {
    sourceTag: 'scope:cli',
    // scope:plan for @x0/decision: `x0 policies add` validates a file exactly as the plan service's loader does.
    onlyDependOnLibsWithTags: ['scope:shared', 'scope:client', 'scope:monitor', 'scope:ml', 'scope:knowledge', 'scope:plan', 'scope:cli'],
  },
  { sourceTag: 'scope:tools', onlyDependOnLibsWithTags: ['*'] },
];

/**
 * `kv.keys()` of nats.js can wait ~30 s when a key is written while it lists: use `kvEntries`
 * from @x0/bus. Caught by name: a `.keys()` call on anything called kv/*Kv/*kv* (kv, this.kv,
 * this.o.kv, this.kv!).
 */
const KV_NAME = '/^kv|Kv$|kv$/';
const KV_KEYS_CALLS = [
  `CallExpression[callee.property.name='keys'][callee.object.name=${KV_NAME}]`,
  `CallExpression[callee.property.name='keys'][callee.object.property.name=${KV_NAME}]`,
  `CallExpression[callee.property.name='keys'][callee.object.expression.name=${KV_NAME}]`,
  `CallExpression[callee.property.name='keys'][callee.object.expression.property.name=${KV_NAME}]`,
];
const KV_KEYS_MESSAGE = 'kv.keys() can hang ~30 s while keys change: use kvEntries(kv, filter) from @x0/bus';

export default [
  { ignores: ['**/node_modules/**', '**/dist/**', '**/tmp/**', '**/.nx/**', 'libs/contracts/src/generated/**', '**/*.js', '**/*.mjs'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    plugins: { '@nx': nx },
    rules: {
      '@nx/enforce-module-boundaries': ['error', { enforceBuildableLibDependency: false, allow: [], depConstraints }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-floating-promises': 'off',
      'no-restricted-syntax': ['error', ...KV_KEYS_CALLS.map((selector) => ({ selector, message: KV_KEYS_MESSAGE }))],
    },
  },
  {
    files: ['**/*.spec.ts', '**/*.int.ts', '**/testing.ts', '**/testing/**/*.ts'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off', '@typescript-eslint/no-explicit-any': 'off' },
  },
];
