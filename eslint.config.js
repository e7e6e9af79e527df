// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Runtime code never reaches infrastructure or the embedded platform. */
const RUNTIME_RESTRICTED = ['aws-cdk-lib', 'aws-cdk-lib/*', '**/lib/**', '../local/*', '../../local/*', '../../../local/*'];
/**
 * The local search engine and its native module are built by the embedded platform's host (local/), never by a
 * function: importing them from lambdas/ would put them in a Lambda bundle, which cannot load them.
 */
const LOCAL_SEARCH_ENGINE = ['**/sqlite-search-index.js', 'better-sqlite3'];
/** Every raw SDK call lives in an adapter (lambdas/adapters/): the composition and handlers only wire and call them. */
const SDKS = ['@aws-sdk/*', '@smithy/*', '@opensearch-project/*'];

export default tseslint.config(
  { ignores: ['node_modules/', 'cdk.out/', '.headroom/', 'bench/results/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly', fetch: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  {
    files: ['lambdas/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [...RUNTIME_RESTRICTED, ...LOCAL_SEARCH_ENGINE, ...SDKS] }],
    },
  },
  {
    // Handlers call services; only the compositions (lambdas/composition/) build from the platform's parts.
    files: ['lambdas/handlers/**/*.ts', 'lambdas/middleware/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "MemberExpression[property.name='parts']",
          message: 'Handlers receive ready services: add the service to a composition (lambdas/composition/) instead.',
        },
      ],
    },
  },
  {
    // Adapters are where the SDKs are used.
    files: ['lambdas/adapters/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [...RUNTIME_RESTRICTED, ...LOCAL_SEARCH_ENGINE] }],
    },
  },
  {
    // The local search engine itself.
    files: ['lambdas/adapters/local/sqlite-search-index.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: RUNTIME_RESTRICTED }] },
  },
  {
    // Infrastructure builds from the schema, routes and environment contract, never from runtime logic.
    files: ['lib/**/*.ts', 'bin/app.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            // Files, not folders: a file in an excluded folder could not be allowed back.
            '**/lambdas/core/**/*.js',
            // Core's vocabulary that infrastructure speaks too: gateway responses are problems, usage plans are per
            // tier, tables are shards of the topology, queues
            // are the job queues by name.
            '!**/lambdas/core/problems.js',
            '!**/lambdas/core/tenancy/tiers.js',
            '!**/lambdas/core/tenancy/shard-topology.js',
            '!**/lambdas/core/fairness/queue-names.js',
            // The settings blocks config validates and hands to functions (schema + default, no logic).
            '!**/lambdas/core/**/*-settings.js',
            '**/lambdas/handlers/**',
            '**/lambdas/adapters/**',
            '**/lambdas/middleware/**',
            '**/lambdas/composition/**',
            '**/local/**',
          ],
        },
      ],
    },
  },
  {
    // Dependencies point inward: core never touches an SDK or infrastructure code.
    files: ['lambdas/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            '@aws-sdk/*',
            'aws-cdk-lib',
            'aws-cdk-lib/*',
            '**/adapters/**',
            '**/lib/**',
            '@aws-lambda-powertools/*',
            '**/local/**',
            '**/observability.js',
            '**/composition/**',
          ],
        },
      ],
    },
  },
);
