import { readdirSync, readFileSync } from 'node:fs';
import eslint from '@eslint/js';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import regexp from 'eslint-plugin-regexp';
import tseslint from 'typescript-eslint';

// Every top-level folder of src is a feature except these three, which any feature may use; read
// from disk so that a new feature module is covered without editing this file.
const INFRASTRUCTURE = new Set(['common', 'config', 'database']);
const FEATURES = readdirSync(new URL('./src', import.meta.url), { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && !INFRASTRUCTURE.has(entry.name))
  .map((entry) => entry.name);

// Tenant-owned entities are reached only through TenantScopedRepository, which takes the tenant
// from the request's scope. The list is the one in src/database/tenant-owned.ts (a spec keeps it
// equal to the entities with a tenantId), read here so that it is written once.
const TENANT_OWNED = /TENANT_OWNED_ENTITIES = \[([^\]]*)\]/
  .exec(readFileSync(new URL('./src/database/tenant-owned.ts', import.meta.url), 'utf8'))[1]
  .split(',')
  .map((name) => name.trim())
  .filter(Boolean)
  .join('|');
const ENTITY_ARGUMENT_METHODS =
  'find|findOne|findBy|findOneBy|findOneByOrFail|findOneOrFail|findAndCount|findAndCountBy|' +
  'count|countBy|exists|existsBy|exist|sum|average|minimum|maximum|insert|save|upsert|update|' +
  'delete|remove|softDelete|restore|increment|decrement|getRepository|createQueryBuilder|from|' +
  'into|relation|preload|merge|create|clear';
export const TENANT_SCOPE_RULE = [
  'error',
  {
    selector: `CallExpression[callee.name='InjectRepository'][arguments.0.name=/^(${TENANT_OWNED})$/]`,
    message:
      'Tenant-owned rows are reached through @InjectTenantRepository (TenantScopedRepository); code that spans tenants calls .unscoped(reason).',
  },
  {
    selector: `CallExpression[callee.property.name=/^(${ENTITY_ARGUMENT_METHODS})$/][arguments.0.name=/^(${TENANT_OWNED})$/]`,
    message:
      'Tenant-owned rows in a transaction: scopedRepository.in(manager), not manager.<method>(Entity, …).',
  },
];

export default tseslint.config(
  {
    ignores: [
      'eslint.config.mjs',
      'dist/**',
      'node_modules/**',
      'coverage/**',
      'data/**',
      'bench/results/**',
      // Linted by its own check.sh: its dependencies are installed only there, so type-aware
      // rules could not resolve them from a fresh clone.
      'examples/**',
    ],
  },
  eslint.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  regexp.configs['flat/recommended'],
  {
    languageOptions: {
      globals: { ...globals.node },
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/explicit-module-boundary-types': 'off',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { fixStyle: 'inline-type-imports', disallowTypeAnnotations: false },
      ],
      'no-console': 'error',
      // Patterns meet request input: one that backtracks super-linearly lets one request hold the
      // event loop (src/regular-expressions.spec.ts proves the same with recheck).
      'regexp/no-super-linear-backtracking': 'error',
      'regexp/no-super-linear-move': 'error',
      eqeqeq: ['error', 'always'],
    },
  },
  {
    // Nest reads constructor parameter types at run time (emitDecoratorMetadata): injected classes
    // must stay value imports, which this rule would otherwise turn into `import type`.
    files: ['src/**/*.ts'],
    rules: { '@typescript-eslint/consistent-type-imports': 'off' },
  },
  {
    // src/common is what every feature builds on; code it imported from a feature would make that
    // feature a dependency of all the others (and of itself, in a cycle). Types are erased, so
    // `import type` stays allowed.
    files: ['src/common/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: `^(\\.\\./)+(${FEATURES.join('|')})(/|$)`,
              allowTypeImports: true,
              message:
                'src/common is shared by every feature and must not load one at run time: import only its types (`import type`), or move this code into the feature that owns it.',
            },
          ],
        },
      ],
    },
  },
  {
    // A file does one job; past 300 lines it is doing several. A file that must stay longer says
    // why on its first line: /* eslint-disable max-lines -- <reason> */
    files: ['src/**/*.ts'],
    ignores: ['**/*.spec.ts'],
    rules: {
      'max-lines': ['error', { max: 300, skipBlankLines: false, skipComments: false }],
    },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/**/*.spec.ts', 'src/common/database/tenant-scoped.repository.ts'],
    rules: { 'no-restricted-syntax': TENANT_SCOPE_RULE },
  },
  {
    files: ['**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      globals: { ...globals.node },
      sourceType: 'module',
      parserOptions: { projectService: false, project: null },
    },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      globals: { ...globals.node },
      sourceType: 'commonjs',
      parserOptions: { projectService: false, project: null },
    },
    rules: {
      ...tseslint.configs.disableTypeChecked.rules,
      '@typescript-eslint/no-require-imports': 'off',
      'no-console': 'off',
    },
  },
  {
    // Test bodies are untyped JSON from supertest; the assertions are what check their shape.
    files: ['test/**/*.ts', '**/*.spec.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/unbound-method': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  prettier,
);
