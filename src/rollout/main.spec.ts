import { main, queryMatchers } from './main';
import { RecordingRunner } from '../../test/rollout/helpers/recording-runner';

const values = (over: object = {}) =>
  JSON.stringify({
    activeColor: 'blue',
    canary: { weight: 0 },
    blue: { image: { tag: '1.0.0' } },
    green: { image: { tag: '1.1.0' } },
    ...over,
  });

async function cli(argv: string[], respond: ConstructorParameters<typeof RecordingRunner>[0]) {
  const out: string[] = [];
  const runner = new RecordingRunner(respond);
  const code = await main(argv, {}, { out: (l) => out.push(l), err: (l) => out.push(l), runner });
  return { code, out: out.join('\n'), runner };
}

describe('bulwark-rollout commands (kubernetes platform, recorded helm/kubectl)', () => {
  it('status prints the colours, versions and weight', async () => {
    const { code, out } = await cli(['status'], () => ({ stdout: values({ canary: { weight: 25 } }) }));
    expect(code).toBe(0);
    expect(out).toMatch(/active blue \(1\.0\.0\), preview green \(1\.1\.0\), canary weight 25%/);
  });

  it('prints JSON lines with --json', async () => {
    const { out } = await cli(['status', '--json'], () => ({ stdout: values() }));
    expect(JSON.parse(out)).toMatchObject({
      event: 'status',
      activeColor: 'blue',
      weight: 0,
      versions: { green: '1.1.0' },
    });
  });

  it.each([['start', '--tag', '2.0.0'], ['run']])(
    '%s refuses (exit 1) when the idle colour has 0 replicas',
    async (...argv) => {
      const { code, out, runner } = await cli(argv, (c) =>
        c.command === 'helm' ? { stdout: values({ green: { image: { tag: '1.1.0' }, replicas: 0 } }) } : {},
      );
      expect(code).toBe(1);
      expect(out).toMatch(/refused: the (idle|preview) colour green has 0 replicas/);
      expect(runner.calls.filter((c) => c.args[0] === 'upgrade')).toEqual([]);
    },
  );

  it('refuses a tag that would inject helm values (exit 1), running nothing', async () => {
    const { code, out, runner } = await cli(['start', '--tag', '2.0,canary.weight=100'], () => ({
      stdout: values(),
    }));
    expect(code).toBe(1);
    expect(out).toMatch(/--tag must be an image tag/);
    expect(runner.calls).toEqual([]);
  });

  it('abort exits 2 (rolled back)', async () => {
    const { code, runner } = await cli(['abort'], () => ({ stdout: values({ canary: { weight: 50 } }) }));
    expect(code).toBe(2);
    expect(runner.calls.some((c) => c.args.includes('canary.weight=0'))).toBe(true);
  });

  it('promote exits 0 and releases its lock', async () => {
    const { code, runner } = await cli(['promote'], () => ({ stdout: values({ canary: { weight: 100 } }) }));
    expect(code).toBe(0);
    expect(runner.calls.filter((c) => c.command === 'kubectl').map((c) => c.args[0])).toEqual([
      'create',
      'delete',
    ]);
  });

  it('refuses with a clear message while another rollout holds the lock', async () => {
    const { code, out, runner } = await cli(['run', '--interval', '100ms'], (c) => {
      if (c.command === 'helm') return { stdout: values() };
      if (c.args[0] === 'create')
        return {
          code: 1,
          stderr: 'Error from server (AlreadyExists): configmaps "bulwark-rollout-lock" already exists',
        };
      if (c.args[0] === 'get') return { stdout: 'run (pid 7 on laptop, since 2026-01-01T00:00:00Z)' };
      return {};
    });
    expect(code).toBe(1);
    expect(out).toMatch(/refused: another rollout holds the lock: run \(pid 7 on laptop/);
    expect(runner.calls.some((c) => c.args[0] === 'upgrade')).toBe(false);
  });

  it('refuses an inconsistent release', async () => {
    const { code, out } = await cli(['promote'], () => ({ stdout: values({ activeColor: 'purple' }) }));
    expect(code).toBe(1);
    expect(out).toMatch(/refused: release values: activeColor is "purple"/);
  });

  it('exits 1 with the usage on bad arguments', async () => {
    const { code, out } = await cli(['run', '--steps', '50,10'], () => ({}));
    expect(code).toBe(1);
    expect(out).toMatch(/--steps must increase[\s\S]*usage: bulwark-rollout/);
  });
});

describe('queryMatchers', () => {
  it('adds the namespace on Kubernetes only, escaped as a PromQL string', () => {
    expect(queryMatchers({ platform: 'kubernetes', namespace: 'shop', matchers: 'route!~"/metrics"' })).toBe(
      'route!~"/metrics",namespace="shop"',
    );
    expect(queryMatchers({ platform: 'kubernetes', namespace: 'a"b', matchers: '' })).toBe(
      'namespace="a\\"b"',
    );
    expect(queryMatchers({ platform: 'nginx', namespace: 'shop', matchers: 'route!~"/metrics"' })).toBe(
      'route!~"/metrics"',
    );
  });
});
