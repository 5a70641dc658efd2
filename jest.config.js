// Three projects: unit specs beside the code (no database, no network), end-to-end specs that build the
// application in-process on a real PostgreSQL, and system specs that start the built service (or
// other real programs: nginx, Prometheus, helm) as processes.
const transform = { '^.+\\.(t|j)s$': ['@swc/jest'] };
// Nest 12 packages are ES modules. The service (CommonJS) loads them with Node's require(esm), which
// jest's module runtime supports only on Node 24.9+; on Node 20 jest compiles them to CommonJS instead.
const transformIgnorePatterns = ['/node_modules/(?!(@nestjs|cockatiel|cookie|file-type|strtok3|token-types|uint8array-extras|@tokenizer)/)'];
const common = { transform, transformIgnorePatterns, testEnvironment: 'node', moduleFileExtensions: ['ts', 'js', 'json'] };

module.exports = {
  testTimeout: 60_000,
  projects: [
    { ...common, displayName: 'unit', rootDir: '.', testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/bench/**/*.spec.ts'] },
    {
      ...common,
      displayName: 'e2e',
      rootDir: '.',
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
      globalSetup: '<rootDir>/test/helpers/global-setup.ts',
      globalTeardown: '<rootDir>/test/helpers/global-teardown.ts',
    },
    {
      ...common,
      displayName: 'system',
      rootDir: '.',
      testMatch: ['<rootDir>/test/**/*.system-spec.ts'],
      globalSetup: '<rootDir>/test/helpers/global-setup.ts',
      globalTeardown: '<rootDir>/test/helpers/global-teardown.ts',
    },
  ],
};
