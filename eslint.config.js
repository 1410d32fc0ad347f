// ESLint for doctor: the recommended JavaScript and TypeScript rules, with formatting left to
// Prettier (`npm run format`; settings in package.json). `npm run lint` runs both in CI.
import js from '@eslint/js'
import prettier from 'eslint-config-prettier'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  {ignores: ['dist/**', 'node_modules/**', 'coverage/**']},
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    languageOptions: {ecmaVersion: 2023, sourceType: 'module', globals: {process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', performance: 'readonly', AbortController: 'readonly', AbortSignal: 'readonly', TextEncoder: 'readonly', TextDecoder: 'readonly', structuredClone: 'readonly', fetch: 'readonly', Response: 'readonly', Headers: 'readonly', setImmediate: 'readonly', queueMicrotask: 'readonly'}},
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', {argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true}],
      '@typescript-eslint/no-explicit-any': 'warn',
      'no-control-regex': 'off', // redaction and XML escaping match control characters on purpose
    },
  },
)
