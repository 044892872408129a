import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'dist-check/', 'node_modules/', 'coverage/', '.cutover/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly' },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'error',
    },
  },
  {
    // Only the CLI layer may print or exit; core code returns values.
    files: ['src/cli/**/*.ts', 'bench/**', 'test/**', 'bin/**', '**/*.test.ts', 'scripts/**'],
    rules: { 'no-console': 'off' },
  },
  {
    files: ['src/runbook/**/*.ts', 'src/engine/**/*.ts', 'src/journal/**/*.ts', 'src/actions/**/*.ts'],
    rules: {
      'no-restricted-syntax': ['error', { selector: "MemberExpression[object.name='process'][property.name='exit']", message: 'Only src/cli may exit the process.' }],
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/cli/**'], message: 'Core code must not import the CLI layer.' }] }],
    },
  },
);
