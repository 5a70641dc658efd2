import { AbortedByHandError, LockedError, SizingError } from './platforms';
import type { Colour, Lock, Platform, RolloutState } from './platforms';
import type { MetricsProvider } from './providers';
import type { RolloutEvent } from './reporter';
import { CliOptions, parseCli } from './options';
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
  /** Sizing and scale-downs, apart from the traffic changes. */
  care: string[] = [];
  async sizePreview() {
    this.care.push(`size at weight ${this.state.weight}`);
    return 'fake: sized';
  }
  async scheduleScaleDown(colour: Colour, delaySeconds: number) {
    this.care.push(`scale down ${colour} after ${delaySeconds}s`);
    return `fake: ${colour} to 0 in ${delaySeconds}s`;
  }
}

type Answer = { requests: number; errorRate: number; p95: number } | 'down';
/** The stable colour (blue) in every round: busy and healthy. */
const STABLE: Answer = { requests: 2000, errorRate: 0, p95: 0.02 };
/** Answers the canary's (green) queries round by round from a script (the last entry repeats), the stable's with STABLE. */
function scripted(rounds: Answer[], stable: Answer = STABLE): MetricsProvider & { queries: string[] } {
  let calls = 0;
  const queries: string[] = [];
  return {
    type: 'scripted',
    queries,
    async query(promql: string) {
      queries.push(promql);
      const round = promql.includes('color="blue"')
        ? stable
        : rounds[Math.min(Math.floor(calls++ / 3), rounds.length - 1)];
      if (round === 'down') throw new Error('prometheus unreachable: ECONNREFUSED');
      if (promql.startsWith('histogram_quantile')) return round.p95;
      if (promql.includes('5..')) return round.errorRate;
      return round.requests;
    },
  };
}

/** The run's conclusion (promoted / rolled back), whatever housekeeping was printed after it. */
const outcome = (events: RolloutEvent[]) =>
  events.filter((e) => e.event === 'promoted' || e.event === 'rolled-back').at(-1);

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
    expect(outcome(events)).toMatchObject({ event: 'rolled-back', activeColor: 'blue' });
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

  it("reads the stable colour every round and puts both colours' readings on the decision", async () => {
    const { run, events } = await rollout([faulty]);
    await run;
    const decision = events.find((e) => e.event === 'decision');
    expect(decision).toMatchObject({
      readings: {
        canary: { requests: faulty.requests, errorRate: faulty.errorRate, p95: faulty.p95 },
        stable: { requests: STABLE.requests, errorRate: STABLE.errorRate, p95: STABLE.p95 },
      },
    });
    // Without a margin the stable colour's error rate and p95 take no part in the checks.
    expect(events.some((e) => e.event === 'check' && e.check.endsWith('-vs-stable'))).toBe(false);
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
    expect(outcome(events)).toMatchObject({ event: 'rolled-back', reason: 'aborted by hand during the run' });
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
    expect(outcome(events)).toMatchObject({ event: 'rolled-back', reason: 'aborted by hand during the run' });
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
      // SIGTERM during the round's queries (counting the canary's).
      if (promql.includes('color="green"') && ++calls === atQuery) controller.abort();
      return query(promql);
    };
    await expect(run).resolves.toBe('rolled-back');
    expect(platform.changes).toEqual(changes);
    expect(platform.changes).not.toContain('promote');
    expect(outcome(events)).toMatchObject({ event: 'rolled-back', reason: 'interrupted by a signal' });
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

describe('runRollout: health, sizing, lock and scale-down', () => {
  /** A run on a clock that moves one interval per round, so the window fills at each weight. */
  async function timed(
    answers: Answer[],
    tweak: (p: FakePlatform) => void = () => undefined,
    extra: Partial<Parameters<typeof runRollout>[0]> = {},
    o: RunOptions = { ...options, intervalMs: 10_000, window: '10s' },
  ) {
    const platform = new FakePlatform();
    tweak(platform);
    const events: RolloutEvent[] = [];
    let clock = 0;
    const run = runRollout(
      {
        platform,
        provider: scripted(answers),
        reporter: { emit: (e) => events.push(e) },
        sleep: async (ms) => {
          clock += ms;
        },
        now: () => clock,
        ...extra,
      },
      o,
    );
    return { run, platform, events };
  }
  const decisions = (events: RolloutEvent[]) =>
    events.flatMap((e) => (e.event === 'decision' ? [`${e.weight}:${e.decision}`] : []));

  it('an unhealthy preview fails each round at once: rolled back within 2 rounds, the reason printed', async () => {
    const { run, platform, events } = await timed([good], (p) => {
      p.previewHealth = async () => ({ healthy: p.state.weight < 50, reason: '0 of 1 instances ready' });
    });
    await expect(run).resolves.toBe('rolled-back');
    expect(decisions(events)).toEqual(['10:advance', '50:wait', '50:rollback']);
    expect(platform.changes).toEqual(['weight 10', 'weight 50', 'abort']);
    expect(events).toContainEqual(
      expect.objectContaining({
        event: 'check',
        check: 'preview-health',
        status: 'fail',
        reason: 'preview colour cannot serve its share: 0 of 1 instances ready',
      }),
    );
  });

  it('a canary that stops answering while stable is busy is rolled back within 2 rounds (no 20 inconclusive rounds)', async () => {
    const dead: Answer = { requests: 0, errorRate: NaN, p95: NaN };
    const { run, events } = await timed([good, dead]);
    await expect(run).resolves.toBe('rolled-back');
    expect(decisions(events)).toEqual(['10:advance', '50:wait', '50:rollback']);
    expect(outcome(events)).toMatchObject({
      reason: expect.stringMatching(/failed checks 2\/2: rolling back/),
    });
  });

  it('a health the platform cannot read counts like a provider error, not a pass', async () => {
    const { run, events } = await timed([good], (p) => {
      p.previewHealth = () => Promise.reject(new Error('kubectl: connection refused'));
    });
    await expect(run).resolves.toBe('rolled-back');
    // providerErrorLimit 3: the 3rd and 4th such rounds count as failures.
    expect(decisions(events)).toEqual(['10:wait', '10:wait', '10:wait', '10:rollback']);
  });

  it('sizes the preview before every step above 50 % and again before promotion', async () => {
    const { run, platform, events } = await timed(
      [good],
      () => undefined,
      {},
      {
        ...options,
        steps: [10, 50, 75, 100],
      },
    );
    await expect(run).resolves.toBe('promoted');
    expect(platform.care.filter((c) => c.startsWith('size'))).toEqual([
      'size at weight 50', // before 75
      'size at weight 75', // before 100
      'size at weight 100', // before promotion
    ]);
    expect(events.filter((e) => e.event === 'sized')).toHaveLength(3);
  });

  it('refuses to go past 50 % when the preview cannot be sized: rolled back from 50, never above', async () => {
    const { run, platform, events } = await timed([good], (p) => {
      p.sizePreview = () => Promise.reject(new SizingError('green has 1 instance, blue has 3'));
    });
    await expect(run).resolves.toBe('rolled-back');
    expect(platform.changes).toEqual(['weight 10', 'weight 50', 'abort']);
    expect(outcome(events)).toMatchObject({
      reason: 'refusing to go past 50 %: green has 1 instance, blue has 3',
    });
    expect(platform.care).toEqual(['scale down green after 30s']);
  });

  it('refuses to promote when the preview cannot be sized before promotion', async () => {
    const { run, platform, events } = await timed(
      [good],
      (p) => {
        p.sizePreview = () => Promise.reject(new SizingError('blue grew to 5 instances'));
      },
      {},
      { ...options, steps: [10, 50] },
    );
    await expect(run).resolves.toBe('rolled-back');
    expect(platform.changes).toEqual(['weight 10', 'weight 50', 'abort']);
    expect(outcome(events)).toMatchObject({ reason: 'refusing to promote: blue grew to 5 instances' });
  });

  it('schedules the scale-down of the old colour after promotion, and of the canary after a rollback', async () => {
    const promoted = await timed([good], () => undefined, {}, { ...options, scaleDownDelaySeconds: 900 });
    await expect(promoted.run).resolves.toBe('promoted');
    expect(promoted.platform.care.at(-1)).toBe('scale down blue after 900s');
    expect(promoted.events.at(-1)).toMatchObject({ event: 'scale-down', colour: 'blue', delaySeconds: 900 });

    const defaults = await timed([good]);
    await defaults.run;
    expect(defaults.platform.care.at(-1)).toBe('scale down blue after 600s');

    const rolledBack = await timed(
      [faulty],
      () => undefined,
      {},
      { ...options, abortScaleDownDelaySeconds: 5 },
    );
    await expect(rolledBack.run).resolves.toBe('rolled-back');
    expect(rolledBack.platform.care).toEqual(['scale down green after 5s']);
  });

  it('a scale-down that cannot be scheduled is reported and does not change the outcome', async () => {
    const { run, events } = await timed([faulty], (p) => {
      p.scheduleScaleDown = () => Promise.reject(new Error('kubectl: forbidden'));
    });
    await expect(run).resolves.toBe('rolled-back');
    expect(events.at(-1)).toMatchObject({
      event: 'error',
      message: expect.stringMatching(
        /could not schedule the scale-down of green: kubectl: forbidden; scale it to 0 by hand/,
      ),
    });
  });

  it('renews the lock every round; a lock taken over stops the run without touching traffic', async () => {
    let renewals = 0;
    const lock: Lock = {
      release: async () => undefined,
      renew: async () => {
        if (++renewals === 2) throw new LockedError('the lock was taken over by run (pid 9 on ci-2)');
      },
    };
    const { run, platform, events } = await timed([good], () => undefined, { lock });
    await expect(run).rejects.toThrow(LockedError);
    expect(renewals).toBe(2);
    expect(platform.changes).toEqual(['weight 10', 'weight 50']);
    expect(events.at(-1)).toMatchObject({
      event: 'error',
      message: expect.stringMatching(/taken over .*stopping without touching traffic/),
    });
  });

  it('a renewal that fails for another reason is reported and retried next round', async () => {
    let renewals = 0;
    const lock: Lock = {
      release: async () => undefined,
      renew: async () => {
        if (++renewals === 1) throw new Error('apiserver timeout');
      },
    };
    const { run, events } = await timed([good], () => undefined, { lock });
    await expect(run).resolves.toBe('promoted');
    expect(renewals).toBe(3);
    expect(events).toContainEqual(
      expect.objectContaining({
        event: 'error',
        message: expect.stringMatching(/could not renew the rollout lock: apiserver timeout/),
      }),
    );
  });
});

describe('runRollout with the default settings', () => {
  // The CLI's defaults: steps 10,25,50,100, a 60 s interval, a 1 m window, failure limit 2,
  // min requests 50. The stable colour answers 2000 requests a minute throughout.
  const d = parseCli(['run'], {}) as CliOptions;
  const defaults: RunOptions = {
    steps: d.steps,
    intervalMs: d.intervalMs,
    window: d.window,
    thresholds: { maxErrorRate: d.maxErrorRate, maxP95Seconds: d.maxP95, minRequests: d.minRequests },
    policy: {
      failureLimit: d.failureLimit,
      providerErrorLimit: d.providerErrorLimit,
      maxInconclusive: d.maxInconclusive,
    },
  };
  const healthy: Answer = { requests: 500, errorRate: 0, p95: 0.02 };
  const dead: Answer = { requests: 0, errorRate: NaN, p95: NaN };

  async function dies(dieAt: number, tweak: (p: FakePlatform) => void = () => undefined, stable?: Answer) {
    const answers = [...Array<Answer>(dieAt - 1).fill(healthy), dead];
    const platform = new FakePlatform();
    tweak(platform);
    const events: RolloutEvent[] = [];
    let clock = 0;
    const run = runRollout(
      {
        platform,
        provider: scripted(answers, stable),
        reporter: { emit: (e) => events.push(e) },
        sleep: async (ms) => {
          clock += ms;
        },
        now: () => clock,
      },
      defaults,
    );
    await expect(run).resolves.toBe('rolled-back');
    expect(platform.changes.at(-1)).toBe('abort');
    return events
      .filter((e) => e.event === 'decision' && e.step === dieAt)
      .map((e) => (e as { decision: string }).decision);
  }

  it.each([1, 2, 3])(
    'a canary that dies at step %i (10–50 %) is rolled back within 2 rounds by its silence alone',
    async (dieAt) => {
      // One passing round per step before, then nothing from the canary (its process is gone, the
      // router retries its share on stable); the platform still calls it healthy, so only the
      // canary-traffic check can tell.
      expect(await dies(dieAt)).toEqual(['wait', 'rollback']);
    },
  );

  it('a canary that dies at 100 % (stable gets nothing to compare) is rolled back within 2 rounds by its health', async () => {
    const unhealthy = (p: FakePlatform) => {
      p.previewHealth = async () =>
        p.state.weight === 100
          ? { healthy: false, reason: '0 of 3 pods available, 4 restarts' }
          : { healthy: true, reason: '3 of 3 pods available' };
    };
    expect(await dies(4, unhealthy, { requests: 0, errorRate: NaN, p95: NaN })).toEqual(['wait', 'rollback']);
  });
});
