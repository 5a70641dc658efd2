import { main, queryMatchers } from './main';
import { RecordingRunner } from '../../test/rollout/helpers/recording-runner';
import { FakeKube } from '../../test/rollout/helpers/fake-kube';

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

/** The tool against a fake release `bulwark` (the default release name) in namespace `prod`. */
async function onKube(argv: string[], over: object = {}, prepare: (k: FakeKube) => void = () => undefined) {
  const kube = new FakeKube(JSON.parse(values(over)) as Record<string, unknown>);
  kube.release.name = 'bulwark';
  kube.fullname = 'bulwark';
  prepare(kube);
  const out: string[] = [];
  const code = await main(
    [...argv, '--namespace', 'prod'],
    {},
    {
      out: (l) => out.push(l),
      err: (l) => out.push(l),
      runner: kube.runner,
    },
  );
  return { code, out: out.join('\n'), kube };
}

describe('bulwark-rollout commands (kubernetes platform, recorded helm/kubectl)', () => {
  it('status prints the colours, versions and weight', async () => {
    const { code, out } = await cli(['status'], () => ({ stdout: values({ canary: { weight: 25 } }) }));
    expect(code).toBe(0);
    expect(out).toMatch(/active blue \(1\.0\.0\), preview green \(1\.1\.0\), canary weight 25%/);
  });

  it('prints JSON lines with --json', async () => {
    const { out } = await onKube(['status', '--json']);
    const lines = out.split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.find((l) => l.event === 'status')).toMatchObject({
      event: 'status',
      activeColor: 'blue',
      weight: 0,
      versions: { green: '1.1.0' },
    });
  });

  it('start brings an idle colour scaled to 0 back at the active colour’s replica count', async () => {
    const { code, kube } = await onKube(
      ['start', '--tag', '2.0.0'],
      {
        blue: { image: { tag: '1.0.0' }, replicas: 3 },
        green: { image: { tag: '1.1.0' }, replicas: 0 },
      },
      (k) => {
        k.deployments.blue.replicas = 3;
      },
    );
    expect(code).toBe(0);
    expect(kube.upgrades()).toEqual([['green.image.tag=2.0.0', 'canary.weight=0', 'green.replicas=3']]);
  });

  it.each([['run']])('%s refuses (exit 1) when the idle colour has 0 replicas', async (...argv) => {
    const { code, out, runner } = await cli(argv, (c) =>
      c.command === 'helm' ? { stdout: values({ green: { image: { tag: '1.1.0' }, replicas: 0 } }) } : {},
    );
    expect(code).toBe(1);
    expect(out).toMatch(/refused: the (idle|preview) colour green has 0 replicas/);
    expect(runner.calls.filter((c) => c.args[0] === 'upgrade')).toEqual([]);
  });

  it('refuses a tag that would inject helm values (exit 1), running nothing', async () => {
    const { code, out, runner } = await cli(['start', '--tag', '2.0,canary.weight=100'], () => ({
      stdout: values(),
    }));
    expect(code).toBe(1);
    expect(out).toMatch(/--tag must be an image tag/);
    expect(runner.calls).toEqual([]);
  });

  it('abort exits 2 (rolled back), then scales the rejected colour down after the release’s abort delay', async () => {
    const { code, out, kube } = await onKube(['abort', '--abort-scale-down-delay', '0s'], {
      canary: { weight: 50 },
    });
    expect(code).toBe(2);
    expect(kube.upgrades()).toEqual([['canary.weight=0'], ['green.replicas=0']]);
    expect(out).toMatch(/aborted: blue keeps all traffic/);
    expect(out).toMatch(/green: waited 0 s; scaled green to 0/);
    // abort takes no lock
    expect(kube.kubectlVerbs().filter((v) => /lease|create/.test(v))).toEqual([]);
  });

  it('abort with no canary live scales nothing down (a previous colour keeps its instant-undo delay)', async () => {
    const { code, kube } = await onKube(['abort']);
    expect(code).toBe(2);
    expect(kube.upgrades()).toEqual([['canary.weight=0']]);
  });

  it('abort succeeds through the break-glass path when helm upgrade fails on a conflict', async () => {
    const { code, out, kube } = await onKube(
      ['abort', '--abort-scale-down-delay', '0s'],
      { canary: { weight: 50 }, trafficRouting: { type: 'gatewayApi' } },
      (k) => {
        k.upgradeError =
          'Error: UPGRADE FAILED: conflict occurred while applying object prod/bulwark apps/v1, Kind=Deployment: Apply failed with 1 conflict: conflict with "kubectl-edit" using apps/v1: .spec.replicas';
      },
    );
    expect(code).toBe(2);
    expect(out).toMatch(
      /break-glass: patched httproute\/bulwark \(blue 100, green 0\) directly with kubectl/,
    );
    expect(out).toMatch(/aborted: blue keeps all traffic/);
    // The scale-down cannot use helm either: kubectl scale, said so.
    expect(out).toMatch(/scaled green to 0 \(kubectl scale --replicas=0/);
    expect(kube.deployments.green.replicas).toBe(0);
  });

  it('promote sizes the preview, promotes, records the previous colour’s scale-down and releases its lock', async () => {
    const { code, out, kube } = await onKube(['promote'], {
      canary: { weight: 100 },
      blue: { image: { tag: '1.0.0' }, replicas: 3 },
      green: { image: { tag: '1.1.0' }, replicas: 1 },
    });
    expect(code).toBe(0);
    expect(kube.upgrades()).toEqual([['green.replicas=3'], ['activeColor=green', 'canary.weight=0']]);
    expect(out).toMatch(/sized green from 1 to 3 replicas/);
    expect(out).toMatch(/blue is scaled to 0 at \S+ \(in 600 s/);
    expect(kube.deployments.blue.annotations['bulwark.dev/scale-down-at']).toBeDefined();
    expect(kube.lease).toBeUndefined();
  });

  it('promote again before the scale-down is an instant undo: nothing to size, the old colour is active again', async () => {
    const sized = {
      blue: { image: { tag: '1.0.0' }, replicas: 2 },
      green: { image: { tag: '1.1.0' }, replicas: 2 },
    };
    const { code, kube } = await onKube(['promote'], { activeColor: 'green', ...sized }, (k) => {
      k.deployments.blue.annotations['bulwark.dev/scale-down-at'] = '2999-01-01T00:00:00.000Z';
    });
    expect(code).toBe(0);
    expect(kube.upgrades()).toEqual([['activeColor=blue', 'canary.weight=0']]);
    expect(kube.deployments.blue.annotations['bulwark.dev/scale-down-at']).toBeUndefined();
    expect(kube.deployments.green.annotations['bulwark.dev/scale-down-at']).toBeDefined();
  });

  it('status scales down a colour whose deadline passed, and prints the lock and deadlines', async () => {
    const { code, out, kube } = await onKube(['status'], { activeColor: 'green' }, (k) => {
      k.deployments.blue.annotations['bulwark.dev/scale-down-at'] = '2020-01-01T00:00:00.000Z';
    });
    expect(code).toBe(0);
    expect(out).toMatch(/scale-down of blue was due at 2020-01-01T00:00:00\.000Z: scaled blue to 0/);
    expect(kube.upgrades()).toEqual([['blue.replicas=0']]);
    expect(out).toMatch(/release bulwark in namespace prod/);
    expect(out).toMatch(/lock: free/);
  });

  it('refuses with a clear message while another rollout holds the lock', async () => {
    const { code, out, kube } = await onKube(['run', '--interval', '100ms'], {}, (k) => {
      k.lease = {
        holderIdentity: 'run (pid 7 on laptop)',
        leaseDurationSeconds: 60,
        acquireTime: new Date().toISOString(),
        renewTime: new Date().toISOString(),
        leaseTransitions: 0,
        resourceVersion: '9',
      };
    });
    expect(code).toBe(1);
    expect(out).toMatch(
      /refused: another rollout holds the lock \(lease bulwark-rollout\): run \(pid 7 on laptop\)/,
    );
    expect(kube.calls.some((c) => c.args[0] === 'upgrade')).toBe(false);
  });

  it.each([
    ['bulwark', /^namespace bulwark \(the kube context's; --namespace or ROLLOUT_NAMESPACE override it\)$/],
    ['', /^namespace default \(neither --namespace, ROLLOUT_NAMESPACE nor the kube context names one\)$/],
  ])(
    'without --namespace or ROLLOUT_NAMESPACE, asks the kube context (%j) and says so',
    async (ctx, line) => {
      const kube = new FakeKube(JSON.parse(values()) as Record<string, unknown>);
      kube.contextNamespace = ctx;
      const out: string[] = [];
      await main(['status'], {}, { out: (l) => out.push(l), err: (l) => out.push(l), runner: kube.runner });
      expect(kube.calls[0].args).toEqual([
        'config',
        'view',
        '--minify',
        '--output',
        'jsonpath={..namespace}',
      ]);
      expect(out[0].slice(9)).toMatch(line);
      const ns = ctx || 'default';
      for (const c of kube.calls.slice(1))
        if (c.args[0] !== 'version') expect(c.args).toEqual(expect.arrayContaining(['--namespace', ns]));
    },
  );

  it.each([
    [['status', '--namespace', 'shop'], {}, 'shop', '--namespace'],
    [['status'], { ROLLOUT_NAMESPACE: 'staging' }, 'staging', 'ROLLOUT_NAMESPACE'],
  ])('names the namespace it works in: %j %j', async (argv, env, ns, from) => {
    const kube = new FakeKube(JSON.parse(values()) as Record<string, unknown>);
    const out: string[] = [];
    await main(argv, env, { out: (l) => out.push(l), err: (l) => out.push(l), runner: kube.runner });
    expect(out[0]).toMatch(new RegExp(`namespace ${ns} \\(${from}\\)$`));
    expect(kube.calls.find((c) => c.args[0] === 'get')!.args).toEqual(
      expect.arrayContaining(['--namespace', ns]),
    );
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

  it('says how to install helm and kubectl when they are missing', async () => {
    const out: string[] = [];
    const code = await main(
      ['status', '--namespace', 'prod', '--helm', '/nonexistent/helm'],
      {},
      {
        out: (l) => out.push(l),
        err: (l) => out.push(l),
      },
    );
    expect(code).toBe(1);
    expect(out.join('\n')).toMatch(
      /\/nonexistent\/helm not found: .*https:\/\/helm\.sh\/docs\/intro\/install\/.*linux\/amd64 only/,
    );
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
