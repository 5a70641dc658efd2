// Four projects: the service's unit specs beside the code (no database, no network), the promotion
// tool's unit specs (src/rollout: its own program, docs/rollout.md), end-to-end specs that build the
// application in-process on a real PostgreSQL, and system specs that start the built service (or
// other real programs: nginx, Prometheus, helm, the built tool) as processes.
const transform = { '^.+\\.(t|j)s$': ['@swc/jest'] };
// Nest 12 and a few other dependencies are ES modules; the service (CommonJS) and jest's module
// runtime load them with Node 24's require(esm), so node_modules is never compiled.
const common = { transform, testEnvironment: 'node', moduleFileExtensions: ['ts', 'js', 'json'] };

module.exports = {
  testTimeout: 60_000,
  projects: [
    {
      ...common,
      displayName: 'unit',
      rootDir: '.',
      testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/bench/**/*.spec.ts'],
      testPathIgnorePatterns: ['/node_modules/', '<rootDir>/src/rollout/'],
    },
    { ...common, displayName: 'rollout', rootDir: '.', testMatch: ['<rootDir>/src/rollout/**/*.spec.ts'] },
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
