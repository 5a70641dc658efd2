import tseslint from 'typescript-eslint';

/** The promotion tool's entry points: the CLI and the rehearsal. */
const ROLLOUT_ENTRIES = ['src/rollout/cli.ts', 'src/rollout/rehearsal/rehearse.ts'];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.tools/**', 'coverage/**', '**/*.js', '**/*.mjs'] },
  ...tseslint.configs.recommended,
  // Type-aware rules: a promise is awaited, returned or explicitly voided, and never handed to
  // something that expects a plain callback (an unhandled rejection would crash or hide a failure).
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { project: ['./tsconfig.test.json'], tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
    },
  },
  {
    rules: {
      'no-console': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // process.env is read in src/config/ only (see README "Configuration").
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'Read configuration through src/config/.' }],
    },
  },
  { files: ['src/config/**/*.ts', 'test/**/*.ts', 'bench/**/*.ts'], rules: { 'no-restricted-properties': 'off' } },
  { files: ['test/**/*.ts', 'bench/**/*.ts', '**/*.spec.ts'], rules: { 'no-console': 'off' } },
  // The promotion tool (docs/rollout.md): only its two entry points touch the process; everything
  // else takes arguments, environment and output as parameters, so it runs the same under a spec.
  {
    files: ['src/rollout/**/*.ts'],
    ignores: ROLLOUT_ENTRIES,
    rules: {
      'no-restricted-properties': [
        'error',
        ...['env', 'argv', 'stdout', 'stderr', 'exit'].map((property) => ({
          object: 'process',
          property,
          message: `process.${property} belongs to the tool's entry points (${ROLLOUT_ENTRIES.join(', ')}): take it as a parameter.`,
        })),
      ],
    },
  },
  { files: ROLLOUT_ENTRIES, rules: { 'no-restricted-properties': 'off' } },
);
