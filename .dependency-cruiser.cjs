// The service's import boundaries (docs/boundaries.md), checked by `npm run lint:deps`
// (part of `npm run lint`) with dependency-cruiser: https://github.com/sverweij/dependency-cruiser
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      severity: 'error',
      comment: 'A cycle makes both sides one module in disguise: break it with a service both use.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-reaching-into-features',
      severity: 'error',
      comment:
        "A feature uses another feature through its service (or writer, view, DTO), never through its repository, entity or scheduled job: those are the other feature's own.",
      from: { path: '^src/([^/]+)/', pathNot: '[.]spec[.]ts$' },
      to: { path: '^src/([^/]+)/.+[.](repository|entity|job)[.]ts$', pathNot: '^src/$1/' },
    },
    {
      name: 'common-is-a-leaf',
      severity: 'error',
      comment: 'src/common/ is what every module shares: it imports nothing of ours from outside itself.',
      from: { path: '^src/common/', pathNot: '[.]spec[.]ts$' },
      to: { path: '^src/', pathNot: '^src/common/' },
    },
    {
      name: 'service-never-imports-the-tool',
      severity: 'error',
      comment: 'The promotion tool (src/rollout) is its own program (docs/rollout.md); the service takes nothing from it.',
      from: { path: '^src/', pathNot: '^src/rollout/' },
      to: { path: '^src/rollout/' },
    },
    {
      name: 'tool-takes-only-the-metric-names',
      severity: 'error',
      comment:
        "The promotion tool takes nothing from the service but the metric names its queries select on (docs/rollout.md).",
      from: { path: '^src/rollout/', pathNot: '[.]spec[.]ts$' },
      to: { path: '^src/', pathNot: ['^src/rollout/', '^src/metrics/metric-names[.]ts$'] },
    },
    {
      name: 'tool-has-no-runtime-dependency',
      severity: 'error',
      comment: 'The promotion tool runs on Node alone: no npm package at run time (docs/rollout.md).',
      from: { path: '^src/rollout/', pathNot: '[.]spec[.]ts$' },
      to: { dependencyTypes: ['npm', 'npm-dev', 'npm-optional', 'npm-peer', 'npm-bundled', 'npm-no-pkg', 'unknown'] },
    },
    {
      name: 'no-unresolvable-imports',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  required: [
    {
      name: 'tool-queries-use-the-metric-names',
      severity: 'error',
      comment: "The promotion tool's PromQL is built on the service's metric-name constants, never on copies.",
      module: { path: '^src/rollout/analysis/queries[.]ts$' },
      to: { path: '^src/metrics/metric-names[.]ts$' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '[.]d[.]ts$' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
