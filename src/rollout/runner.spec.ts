import { AbortedByHandError } from './platforms';
import type { Colour, Lock, Platform, RolloutState } from './platforms';
import type { MetricsProvider } from './providers';
import type { RolloutEvent } from './reporter';
import { runRollout, RunOptions } from './runner';

/** An in-memory two-colour router that logs every change. */
class FakePlatform implements Platform {
  readonly type = 'fake';
  changes: string[] = [];
  state: RolloutState = {
    activeColor: 'blue',
    previewColor: 'green',
    weight: 0,
    versions: { blue: '1.0.0', green: '1.1.0' },
  };
  failSetWeightAt?: number;
  async readState() {
    return { ...this.state };
  }
  async start() {}
  async setWeight(w: number) {
    if (w === this.failSetWeightAt) throw new Error('helm upgrade failed');
    this.state.weight = w;
    this.changes.push(`weight ${w}`);
  }
  async promote() {
    this.state = { ...this.state, activeColor: 'green', previewColor: 'blue', weight: 0 };
    this.changes.push('promote');
  }
  async abort() {
    this.state.weight = 0;
    this.changes.push('abort');
  }
  async acquireLock(): Promise<Lock> {
    return { release: async () => undefined, renew: async () => undefined };
  }
  async previewHealth() {
    return { healthy: true, reason: 'fake: ready' };
  }
  async sizePreview() {
    this.changes.push('size');
    return 'fake: sized';
  }
  async scheduleScaleDown(colour: Colour, delaySeconds: number) {
    this.changes.push(`scale down ${colour} after ${delaySeconds}s`);
    return `fake: ${colour} to 0 in ${delaySeconds}s`;
  }
}

type Answer = { requests: number; errorRate: number; p95: number } | 'down';
/** Answers each round from a script; the last entry repeats. */
function scripted(rounds: Answer[]): MetricsProvider & { queries: string[] } {
  let calls = 0;
  const queries: string[] = [];
  return {
    type: 'scripted',
    queries,
    async query(promql: string) {
      queries.push(promql);
      const round = rounds[Math.min(Math.floor(calls++ / 3), rounds.length - 1)];
      if (round === 'down') throw new Error('prometheus unreachable: ECONNREFUSED');
      if (promql.startsWith('histogram_quantile')) return round.p95;
      if (promql.includes('5..')) return round.errorRate;
      return round.requests;
    },
  };
}

const options: RunOptions = {
  steps: [10, 50, 100],
  intervalMs: 1000,
  window: '10s',
  thresholds: { maxErrorRate: 0.01, maxP95Seconds: 0.25, minRequests: 20 },
  policy: { failureLimit: 2, providerErrorLimit: 3, maxInconclusive: 5 },
};
const good: Answer = { requests: 500, errorRate: 0, p95: 0.02 };
const faulty: Answer = { requests: 500, errorRate: 0.2, p95: 0.02 };
const quiet: Answer = { requests: 3, errorRate: 0, p95: 0.02 };

async function rollout(
  answers: Answer[],
  tweak: (p: FakePlatform) => void = () => undefined,
  signal?: AbortSignal,
) {
  const platform = new FakePlatform();
  tweak(platform);
  const events: RolloutEvent[] = [];
  const provider = scripted(answers);
  const run = runRollout(
    { platform, provider, reporter: { emit: (e) => events.push(e) }, sleep: async () => undefined, signal },
    options,
  );
  return { run, platform, events, provider };
}

describe('runRollout', () => {
  it('raises the weight step by step and promotes a healthy canary', async () => {
    const { run, platform, events } = await rollout([good]);
    await expect(run).resolves.toBe('promoted');
    expect(platform.changes).toEqual(['weight 10', 'weight 50', 'weight 100', 'promote']);
    expect(
      events.filter((e) => e.event === 'decision').map((e) => (e as { decision: string }).decision),
    ).toEqual(['advance', 'advance', 'advance']);
  });

  it('rolls a faulty canary back at the first step once the failure limit is reached', async () => {
    const { run, platform, events } = await rollout([faulty]);
    await expect(run).resolves.toBe('rolled-back');
    expect(platform.changes).toEqual(['weight 10', 'abort']);
    expect(events.at(-1)).toMatchObject({ event: 'rolled-back', activeColor: 'blue' });
  });

  it('waits while traffic is too low and goes on once it comes', async () => {
    const { run, platform, events } = await rollout([quiet, quiet, good]);
    await expect(run).resolves.toBe('promoted');
    expect(platform.changes).toEqual(['weight 10', 'weight 50', 'weight 100', 'promote']);
    expect(
      events.filter((e) => e.event === 'decision').map((e) => (e as { decision: string }).decision),
    ).toEqual(['wait', 'wait', 'advance', 'advance', 'advance']);
  });

  it('never promotes without traffic: inconclusive for too long counts as failures', async () => {
    const { run, platform } = await rollout([quiet]);
    await expect(run).resolves.toBe('rolled-back');
    expect(platform.changes).toEqual(['weight 10', 'abort']);
  });

  it('never promotes when Prometheus goes away mid-run', async () => {
    const { run, platform, events } = await rollout([good, 'down']);
    await expect(run).resolves.toBe('rolled-back');
    expect(platform.changes).toEqual(['weight 10', 'weight 50', 'abort']);
    expect(events.filter((e) => e.event === 'decision' && e.step === 2)).toHaveLength(4);
  });

  it('prints each check with its query, value and threshold', async () => {
    const { run, events } = await rollout([faulty]);
    await run;
    const check = events.find((e) => e.event === 'check' && e.check === 'error-rate');
    expect(check).toMatchObject({
      step: 1,
      weight: 10,
      round: 1,
      value: 0.2,
      threshold: 0.01,
      status: 'fail',
    });
    expect((check as { query: string }).query).toContain('color="green"');
  });

  it('queries the stable colour too when a margin is asked for', async () => {
    const platform = new FakePlatform();
    const provider = scripted([good]);
    await runRollout(
      { platform, provider, reporter: { emit: () => undefined }, sleep: async () => undefined },
      { ...options, thresholds: { ...options.thresholds, p95MarginOverStable: 0.5 } },
    );
    expect(provider.queries.some((q) => q.includes('color="blue"'))).toBe(true);
  });

  it("scopes the canary's queries to its version and the stable ones to the stable version", async () => {
    const platform = new FakePlatform();
    const provider = scripted([good]);
    await runRollout(
      { platform, provider, reporter: { emit: () => undefined }, sleep: async () => undefined },
      {
        ...options,
        extraMatchers: 'namespace="shop"',
        thresholds: { ...options.thresholds, p95MarginOverStable: 0.5 },
      },
    );
    const canary = provider.queries.filter((q) => q.includes('color="green"'));
    const stable = provider.queries.filter((q) => q.includes('color="blue"'));
    expect(canary.length).toBeGreaterThan(0);
    expect(stable.length).toBeGreaterThan(0);
    for (const q of canary) expect(q).toContain('{color="green",app_version="1.1.0",namespace="shop"');
    for (const q of stable) expect(q).toContain('{color="blue",app_version="1.0.0",namespace="shop"');
  });

  it('stops when someone aborts by hand during the run', async () => {
    const { run, platform } = await rollout([quiet], (p) => {
      const original = p.readState.bind(p);
      let reads = 0;
      p.readState = async () => {
        if (++reads === 3) p.state.weight = 0; // `abort` from another terminal
        return original();
      };
    });
    await expect(run).resolves.toBe('rolled-back');
    expect(platform.changes).toEqual(['weight 10']);
  });

  it('stops when an abort by hand lands while Prometheus is read: no next weight', async () => {
    const { run, platform, provider, events } = await rollout([good]);
    const query = provider.query.bind(provider);
    provider.query = (promql: string) => {
      platform.state.weight = 0; // `abort` from another terminal, during step 1's round
      return query(promql);
    };
    await expect(run).resolves.toBe('rolled-back');
    expect(platform.changes).toEqual(['weight 10']);
    expect(events.at(-1)).toMatchObject({ event: 'rolled-back', reason: 'aborted by hand during the run' });
  });

  it('stops when the platform gives way to an abort by hand during a change (exit 2, not an error)', async () => {
    const { run, platform, events } = await rollout([good], (p) => {
      const setWeight = p.setWeight.bind(p);
      p.setWeight = async (w: number) => {
        if (w === 50) {
          p.state.weight = 0;
          throw new AbortedByHandError('aborted by hand during the change: weight 0 stands');
        }
        return setWeight(w);
      };
    });
    await expect(run).resolves.toBe('rolled-back');
    expect(platform.changes).toEqual(['weight 10']);
    expect(events.some((e) => e.event === 'error')).toBe(false);
    expect(events.at(-1)).toMatchObject({ event: 'rolled-back', reason: 'aborted by hand during the run' });
  });

  it('rolls back to be safe when the platform fails mid-run, and reports the error', async () => {
    const { run, platform } = await rollout([good], (p) => (p.failSetWeightAt = 50));
    await expect(run).rejects.toThrow(/helm upgrade failed/);
    expect(platform.changes).toEqual(['weight 10', 'abort']);
  });

  it('rolls back on a signal', async () => {
    const controller = new AbortController();
    controller.abort();
    const { run, platform } = await rollout([good], () => undefined, controller.signal);
    await expect(run).resolves.toBe('rolled-back');
    // Signalled before the first weight: no traffic ever reaches the canary.
    expect(platform.changes).toEqual(['abort']);
  });

  it.each([
    ['the last step: no promotion', 7, ['weight 10', 'weight 50', 'weight 100', 'abort']],
    ['a middle step: no next weight', 4, ['weight 10', 'weight 50', 'abort']],
  ])('rolls back on a signal that arrives while Prometheus is read at %s', async (_n, atQuery, changes) => {
    const controller = new AbortController();
    const { run, platform, provider, events } = await rollout([good], () => undefined, controller.signal);
    const query = provider.query.bind(provider);
    let calls = 0;
    provider.query = (promql: string) => {
      if (++calls === atQuery) controller.abort(); // SIGTERM during the round's queries
      return query(promql);
    };
    await expect(run).resolves.toBe('rolled-back');
    expect(platform.changes).toEqual(changes);
    expect(platform.changes).not.toContain('promote');
    expect(events.at(-1)).toMatchObject({ event: 'rolled-back', reason: 'interrupted by a signal' });
  });

  it('refuses to run without a version on the preview colour', async () => {
    const { run, platform } = await rollout([good], (p) => (p.state.versions.green = null));
    await expect(run).rejects.toThrow(/start --tag/);
    expect(platform.changes).toEqual([]);
  });

  it('refuses to run when the preview colour has 0 replicas', async () => {
    const { run, platform } = await rollout([good], (p) => (p.state.replicas = { blue: 2, green: 0 }));
    await expect(run).rejects.toThrow(/preview colour green has 0 replicas/);
    expect(platform.changes).toEqual([]);
  });
});
