import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../main';
import { RecordingRunner } from '../../../test/rollout/helpers/recording-runner';
import {
  analysisRun,
  CANARY,
  cluster,
  measurement,
  NAME,
  rollout,
  STABLE,
  weights,
} from '../../../test/rollout/helpers/argo-cluster';

// `--platform argo` against a fake cluster (test/rollout/helpers/argo-cluster.ts).

async function cli(runner: RecordingRunner, ...argv: string[]) {
  const lines: string[] = [];
  const code = await main(
    [...argv, '--platform', 'argo', '--release', 'shop', '--namespace', 'prod', '--interval', '100ms'],
    {},
    { out: (l) => lines.push(l), err: (l) => lines.push(l), runner },
  );
  return { code, text: lines.join('\n'), lines };
}

describe('--platform argo', () => {
  it('status: step, weight, versions and the analysis runs with their verdicts', async () => {
    const { runner } = cluster([
      {
        rollout: rollout({
          phase: 'Paused',
          currentStepIndex: 2,
          canary: weights(10),
          pauseConditions: [{ reason: 'CanaryPauseStep', startTime: '2026-12-02T17:00:00Z' }],
        }),
        runs: [analysisRun('Running', { 'error-rate': [measurement('Successful', '[0.0004]')] })],
      },
    ]);
    const { code, text } = await cli(runner, 'status');
    expect(code).toBe(0);
    expect(text).toContain(`rollout/${NAME} Paused`);
    expect(text).toContain(`stable 1.4.0 (${STABLE}), canary 1.5.0 (${CANARY})`);
    expect(text).toContain('step 3/7 pause 60s, canary weight 10%');
    expect(text).toContain('paused: CanaryPauseStep');
    expect(text).toContain(`${NAME}-${CANARY}-4 Running`);
    expect(runner.calls.map((c) => c.args.slice(0, 2).join(' '))).toEqual([
      `get rollout.argoproj.io/${NAME}`,
      'get analysisrun.argoproj.io',
      'get replicasets',
    ]);
  });

  it('start: one guarded JSON patch of image, APP_VERSION and both version labels', async () => {
    const { runner, patches } = cluster([
      { rollout: rollout({ phase: 'Healthy', currentPodHash: STABLE }, '1.4.0') },
    ]);
    const { code, text } = await cli(runner, 'start', '--tag', '1.5.0');
    expect(code).toBe(0);
    expect(text).toContain('started 1.5.0 on rollout/shop-bulwark (was 1.4.0)');
    expect(text).toContain('No migration runs this way');
    const [args] = patches();
    expect(args.slice(0, 6)).toEqual([
      'patch',
      `rollout.argoproj.io/${NAME}`,
      '--namespace',
      'prod',
      '--type',
      'json',
    ]);
    expect(JSON.parse(args[7])).toEqual([
      { op: 'test', path: '/spec/template/spec/containers/0/name', value: 'api' },
      { op: 'test', path: '/spec/template/spec/containers/0/env/0/name', value: 'APP_VERSION' },
      {
        op: 'replace',
        path: '/spec/template/spec/containers/0/image',
        value: 'registry.example/bulwark:1.5.0',
      },
      { op: 'replace', path: '/spec/template/spec/containers/0/env/0/value', value: '1.5.0' },
      { op: 'replace', path: '/spec/template/metadata/labels/app.kubernetes.io~1version', value: '1.5.0' },
      { op: 'add', path: '/metadata/labels/app.kubernetes.io~1version', value: '1.5.0' },
    ]);
  });

  it('start refuses while another update is in progress', async () => {
    const { runner, patches } = cluster([
      { rollout: rollout({ phase: 'Progressing', currentStepIndex: 1 }) },
    ]);
    const { code, text } = await cli(runner, 'start', '--tag', '1.6.0');
    expect(code).toBe(1);
    expect(text).toContain('refused: rollout/shop-bulwark is already updating to 1.5.0');
    expect(patches()).toEqual([]);
  });

  it('promote: full promotion through the status subresource, unpausing first', async () => {
    const { runner, patches } = cluster([
      { rollout: rollout({ phase: 'Paused', currentStepIndex: 2 }, '1.5.0', { paused: true }) },
    ]);
    const { code } = await cli(runner, 'promote');
    expect(code).toBe(0);
    expect(patches().map((a) => a.slice(2))).toEqual([
      ['--namespace', 'prod', '--type', 'merge', '-p', '{"spec":{"paused":false}}'],
      [
        '--namespace',
        'prod',
        '--subresource=status',
        '--type',
        'merge',
        '-p',
        '{"status":{"promoteFull":true}}',
      ],
    ]);
  });

  it('abort: status.abort through the status subresource, exit 2', async () => {
    const { runner, patches } = cluster([
      { rollout: rollout({ phase: 'Progressing', currentStepIndex: 1 }) },
    ]);
    const { code, text } = await cli(runner, 'abort');
    expect(code).toBe(2);
    expect(text).toContain('abort: rollout/shop-bulwark sends all traffic back to the stable version');
    expect(patches().map((a) => a.slice(2))).toEqual([
      ['--namespace', 'prod', '--subresource=status', '--type', 'merge', '-p', '{"status":{"abort":true}}'],
    ]);
  });

  it('run, success: prints each step and measurement as it comes, exits 0 once the canary is stable', async () => {
    const m1 = measurement('Successful', '[0.0003]');
    const m2 = measurement('Successful', '[0.0005]');
    const { runner } = cluster([
      {
        rollout: rollout({ phase: 'Progressing', currentStepIndex: 1, canary: weights(10) }),
        runs: [analysisRun('Running', {})],
      },
      {
        rollout: rollout({
          phase: 'Paused',
          currentStepIndex: 2,
          canary: weights(10),
          pauseConditions: [{ reason: 'CanaryPauseStep' }],
        }),
        runs: [analysisRun('Running', { 'error-rate': [m1] })],
      },
      {
        rollout: rollout({
          phase: 'Paused',
          currentStepIndex: 4,
          canary: weights(50),
          pauseConditions: [{ reason: 'CanaryPauseStep' }],
        }),
        runs: [analysisRun('Running', { 'error-rate': [m1, m2] })],
      },
      {
        rollout: rollout({ phase: 'Healthy', currentStepIndex: 7, stableRS: CANARY, canary: {} }),
        runs: [analysisRun('Successful', { 'error-rate': [m1, m2] })],
      },
    ]);
    const { code, lines } = await cli(runner, 'run');
    expect(code).toBe(0);
    const text = lines.map((l) => l.slice(9)).join('\n');
    expect(text).toContain('[step 2/7] setWeight 10, canary weight 10%');
    expect(text).toContain('[step 3/7] pause 60s, canary weight 10%');
    expect(text).toContain('[step 5/7] pause 60s, canary weight 50%');
    expect(text).toContain(
      `[analysis ${NAME}-${CANARY}-4] error-rate #1: SUCCESSFUL value=[0.0003] (success: len(result) > 0 && !isNaN(result[0]) && result[0] <= 0.001)`,
    );
    expect(text).toContain('error-rate #2: SUCCESSFUL value=[0.0005]');
    // Each measurement once, in order, and the verdict last.
    expect(text.match(/error-rate #1/g)).toHaveLength(1);
    expect(text.indexOf('#1:')).toBeLessThan(text.indexOf('#2:'));
    expect(lines[lines.length - 1]).toContain(
      'PROMOTED: 1.5.0 is the stable version of rollout/shop-bulwark',
    );
  });

  it('run, aborted by the analysis: prints the failed measurements and the reason, exits 2', async () => {
    const failed = measurement('Failed', '[0.083]');
    const { runner, patches } = cluster([
      {
        rollout: rollout({ phase: 'Progressing', currentStepIndex: 2, canary: weights(10) }),
        runs: [analysisRun('Running', { 'error-rate': [failed] })],
      },
      {
        rollout: rollout({
          phase: 'Degraded',
          message:
            'RolloutAborted: Rollout aborted update to revision 4: Metric "error-rate" assessed Failed due to failed (2) > failureLimit (1)',
          abort: true,
          abortedAt: '2026-12-02T17:03:00Z',
          currentStepIndex: 0,
          canary: weights(0),
        }),
        runs: [
          analysisRun(
            'Failed',
            { 'error-rate': [failed, measurement('Failed', '[0.091]')] },
            'Metric "error-rate" assessed Failed due to failed (2) > failureLimit (1)',
          ),
        ],
      },
    ]);
    const { code, text } = await cli(runner, 'run');
    expect(code).toBe(2);
    expect(text).toContain('error-rate #1: FAILED value=[0.083]');
    expect(text).toContain('error-rate #2: FAILED value=[0.091]');
    expect(text).toContain('ABORTED: rollout/shop-bulwark keeps the stable version — RolloutAborted');
    expect(patches()).toEqual([]); // the controller aborted; the tool only reports
  });

  it('run, paused step: says why it waits, and goes on when the pause ends', async () => {
    const paused = rollout({
      phase: 'Paused',
      message: 'CanaryPauseStep',
      currentStepIndex: 2,
      canary: weights(10),
      pauseConditions: [{ reason: 'AnalysisRunInconclusive', startTime: '2026-12-02T17:02:00Z' }],
      controllerPause: true,
    });
    const { runner } = cluster([
      {
        rollout: paused,
        runs: [analysisRun('Inconclusive', { requests: [measurement('Inconclusive', '[12]')] })],
      },
      { rollout: paused },
      { rollout: rollout({ phase: 'Healthy', stableRS: CANARY, currentStepIndex: 7, canary: {} }) },
    ]);
    const { code, text } = await cli(runner, 'run');
    expect(code).toBe(0);
    expect(text).toContain('requests #1: INCONCLUSIVE value=[12]');
    expect(
      text.match(/paused: AnalysisRunInconclusive — waiting for the controller, or for promote \/ abort/g),
    ).toHaveLength(1);
    expect(text).toContain('PROMOTED');
  });

  it('run, degraded update (canary never available): aborts it, exits 2', async () => {
    const { runner, patches } = cluster([
      {
        rollout: rollout({
          phase: 'Degraded',
          message: 'ProgressDeadlineExceeded: ReplicaSet "shop-bulwark-5f6b8c7d9" has timed out progressing.',
          currentStepIndex: 1,
          canary: weights(10),
          conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }],
        }),
      },
    ]);
    const { code, text } = await cli(runner, 'run');
    expect(code).toBe(2);
    expect(text).toContain(
      'abort: rollout/shop-bulwark sends all traffic back to the stable version — the update is Degraded: ProgressDeadlineExceeded',
    );
    expect(patches().map((a) => a[a.length - 1])).toEqual(['{"status":{"abort":true}}']);
  });

  it('run refuses when no update is in progress', async () => {
    const { runner } = cluster([{ rollout: rollout({ phase: 'Healthy', currentPodHash: STABLE }) }]);
    const { code, text } = await cli(runner, 'run');
    expect(code).toBe(1);
    expect(text).toContain('refused: rollout/shop-bulwark has no update in progress');
  });

  it('--json: one JSON object per line', async () => {
    const { runner } = cluster([{ rollout: rollout({ phase: 'Healthy', currentPodHash: STABLE }) }]);
    const { lines } = await cli(runner, 'status', '--json');
    const event = JSON.parse(lines[0]);
    expect(event).toMatchObject({
      event: 'argo-status',
      rollout: NAME,
      phase: 'Healthy',
      canary: null,
      weight: 0,
    });
  });
});

describe('docs/engines.md: every promotion-tool command it prints runs as printed', () => {
  const doc = readFileSync(join(__dirname, '..', '..', '..', 'docs', 'engines.md'), 'utf8');
  const printed = doc
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('npm run rollout -- '));

  it('prints status, start, run, promote and abort', () => {
    expect(printed.map((l) => l.split(' ')[4]).sort()).toEqual([
      'abort',
      'promote',
      'run',
      'start',
      'status',
    ]);
  });

  const inProgress = rollout({ phase: 'Paused', currentStepIndex: 2, canary: weights(10) });
  const states: Record<string, { rollout: Record<string, unknown> }[]> = {
    status: [{ rollout: inProgress }],
    start: [{ rollout: rollout({ phase: 'Healthy', currentPodHash: STABLE }, '1.4.0') }],
    run: [{ rollout: inProgress }, { rollout: rollout({ phase: 'Healthy', stableRS: CANARY, canary: {} }) }],
    promote: [{ rollout: inProgress }],
    abort: [{ rollout: inProgress }],
  };
  const exits: Record<string, number> = { status: 0, start: 0, run: 0, promote: 0, abort: 2 };

  it.each(printed)('%s', async (line) => {
    const argv = line.slice('npm run rollout -- '.length).split(' ');
    const command = argv[0];
    const { runner } = cluster(states[command], 'bulwark');
    const lines: string[] = [];
    const code = await main(
      [...argv, '--interval', '100ms'],
      {},
      { out: (l) => lines.push(l), err: (l) => lines.push(l), runner },
    );
    expect({ line, code, output: lines.join('\n') }).toMatchObject({ code: exits[command] });
    // Everything it asked kubectl concerned the release's Rollout in namespace bulwark.
    for (const call of runner.calls)
      expect(call.args.slice(call.args.indexOf('--namespace'))[1]).toBe('bulwark');
    expect(runner.calls[0].args[1]).toBe('rollout.argoproj.io/bulwark');
  });
});
