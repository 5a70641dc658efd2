import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.tools/**', 'coverage/**', '**/*.js', '**/*.mjs'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      'no-console': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // process.env is read in src/config/ only (see README "Configuration").
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'Read configuration through src/config/.' }],
    },
  },
  { files: ['src/config/**/*.ts', 'test/**/*.ts', 'bench/**/*.ts', 'src/rollout/**/*.ts'], rules: { 'no-restricted-properties': 'off' } },
  { files: ['test/**/*.ts', 'bench/**/*.ts', '**/*.spec.ts', 'src/rollout/**/*.ts'], rules: { 'no-console': 'off' } },
);
