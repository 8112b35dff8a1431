import js from '@eslint/js'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  { ignores: ['node_modules', 'data', 'web/dist', 'test-results', 'bench/results', '.tmp'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src/modules/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['../*/!(*.module).ts', '../*/!(*.module)'],
              message: 'Import another module only through its <name>.module.ts',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/platform/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['**/modules/**'], message: 'platform/ never imports a module' }] },
      ],
    },
  },
  {
    files: ['web/src/modules/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^\\.\\./[^./][^/]*/(?!index\\.ts$)',
              message: 'Import another web feature only through its index.ts (shared pieces belong in ui/ or lib/)',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['web/src/app/**', 'web/src/pages/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '/modules/[^/]+/(?!index\\.ts$)',
              message: 'Import a web feature only through its index.ts',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['web/src/ui/**', 'web/src/lib/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ regex: '/modules/', message: 'web ui/ and lib/ never import a feature' }] },
      ],
    },
  },
)
