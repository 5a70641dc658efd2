import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ANALYSIS_QUERIES_PATH, analysisQueriesFile, argoQueries, substituteArgs } from './argo';
import { buildQueries } from './queries';

const ROOT = join(__dirname, '..', '..', '..');

describe('the analysis queries of engine argo', () => {
  it('the chart’s copy is what `npm run chart:queries` writes (run it and commit the result)', () => {
    expect(readFileSync(join(ROOT, ANALYSIS_QUERIES_PATH), 'utf8')).toBe(analysisQueriesFile());
  });

  const values = { namespace: 'shop', 'canary-version': '1.5.0', window: '60s', 'min-requests': '50' };
  const tool = buildQueries({
    namespace: 'shop',
    version: '1.5.0',
    window: '60s',
    extraMatchers: 'route!~"/metrics|/health/.*"',
  });
  const argo = argoQueries();

  it('with their arguments filled in, are the tool’s queries (no colour: namespace and version)', () => {
    expect(substituteArgs(argo.queries.requests, values)).toBe(tool.requests);
    expect(substituteArgs(argo.queries.errorRate, values)).toBe(
      `(${tool.errorRate}) and on() (${tool.requests} >= 50)`,
    );
    expect(substituteArgs(argo.queries.p95, values)).toBe(`(${tool.p95}) and on() (${tool.requests} >= 50)`);
    expect(tool.requests).toBe(
      'sum(increase(http_requests_total{namespace="shop",app_version="1.5.0",route!~"/metrics|/health/.*"}[60s]))',
    );
  });

  it('names every argument it uses', () => {
    const used = new Set(
      Object.values(argo.queries).flatMap((q) => [...q.matchAll(/\{\{args\.([\w-]+)\}\}/g)].map((m) => m[1])),
    );
    expect([...used].sort()).toEqual([...argo.args].sort());
  });

  it('an argument without a value is an error, never an empty matcher', () => {
    expect(() => substituteArgs(argo.queries.requests, { namespace: 'shop' })).toThrow(/canary-version/);
  });
});
