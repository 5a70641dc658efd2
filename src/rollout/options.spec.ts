import { parseCli, parseDuration, parseSteps, promRange } from './options';

describe('options', () => {
  it.each([
    ['60s', 60_000],
    ['2m', 120_000],
    ['500ms', 500],
    ['1.5s', 1500],
    ['30', 30_000],
  ])('parses the duration %s', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it('refuses bad durations and steps', () => {
    expect(() => parseDuration('soon')).toThrow(/not a duration/);
    expect(() => parseSteps('10,5')).toThrow(/increase/);
    expect(() => parseSteps('0,50')).toThrow(/1–100/);
    expect(() => parseSteps('10,abc')).toThrow();
  });

  it('turns durations into Prometheus ranges', () => {
    expect(promRange(90_000)).toBe('90s');
    expect(promRange(200)).toBe('1s');
  });

  it.each(['2.0.0', '1.1.0-rc.1', 'v2_build.7', 'a'.repeat(128)])('accepts the tag %s', (tag) => {
    expect(parseCli(['start', '--tag', tag], {})).toMatchObject({ tag });
  });

  it.each([
    ['a comma that would inject a helm value', '2.0,canary.weight=100'],
    ['an equals sign', 'x=y'],
    ['a leading dash', '-2.0'],
    ['a leading dot', '.2'],
    ['a slash', 'repo/img'],
    ['a space', '2.0 x'],
    ['more than 128 characters', 'a'.repeat(129)],
  ])('refuses a tag with %s', (_n, tag) => {
    expect(() => parseCli(['start', `--tag=${tag}`], {})).toThrow(/--tag must be an image tag/);
  });

  it('has the documented defaults', () => {
    const o = parseCli(['run'], {});
    expect(o).toMatchObject({
      command: 'run',
      platform: 'kubernetes',
      steps: [10, 25, 50, 100],
      intervalMs: 60_000,
      window: '60s',
      maxErrorRate: 0.001,
      maxP95: 0.2,
      failureLimit: 2,
      prometheusUrl: 'http://127.0.0.1:9090',
      json: false,
    });
  });

  it('reads every analysis flag and the environment', () => {
    const o = parseCli(
      [
        'run',
        '--steps',
        '5,50',
        '--interval',
        '2s',
        '--max-error-rate',
        '0.01',
        '--max-p95',
        '0.25',
        '--min-requests',
        '20',
        '--failure-limit',
        '3',
        '--error-rate-margin',
        '0.005',
        '--json',
      ],
      { ROLLOUT_PLATFORM: 'nginx', ROLLOUT_NGINX_DIR: '/srv/n', PROMETHEUS_URL: 'http://prom:9090' },
    );
    expect(o).toMatchObject({
      steps: [5, 50],
      intervalMs: 2000,
      window: '60s',
      maxErrorRate: 0.01,
      maxP95: 0.25,
      minRequests: 20,
      failureLimit: 3,
      errorRateMargin: 0.005,
      json: true,
      platform: 'nginx',
      nginxDir: '/srv/n',
      prometheusUrl: 'http://prom:9090',
    });
  });

  it.each([
    [['deploy'], /unknown command/],
    [['start'], /--tag/],
    [['run', '--max-error-rate', '2'], /max-error-rate/],
    [['run', '--failure-limit', '0'], /failure-limit/],
    [['run', '--bogus'], /bogus/],
    [['run', 'promote'], /one command/],
  ])('refuses %j', (argv, message) => {
    expect(() => parseCli(argv as string[], {})).toThrow(message);
  });

  it.each([
    [['status', '--namespace', 'shop'], { ROLLOUT_NAMESPACE: 'staging' }, 'shop', '--namespace'],
    [['status'], { ROLLOUT_NAMESPACE: 'staging' }, 'staging', 'ROLLOUT_NAMESPACE'],
    [['status'], {}, undefined, undefined],
  ])('takes the namespace from %j with env %j', (argv, env, namespace, from) => {
    expect(parseCli(argv, env)).toMatchObject({ namespace, namespaceFrom: from });
  });

  it('reads the scale-down delays as whole seconds, leaving them to the platform when not given', () => {
    expect(
      parseCli(['promote', '--scale-down-delay', '15m', '--abort-scale-down-delay', '0s'], {}),
    ).toMatchObject({ scaleDownDelaySeconds: 900, abortScaleDownDelaySeconds: 0 });
    expect(parseCli(['promote'], {})).toMatchObject({
      scaleDownDelaySeconds: undefined,
      abortScaleDownDelaySeconds: undefined,
    });
    expect(() => parseCli(['abort', '--abort-scale-down-delay', '1500ms'], {})).toThrow(/whole seconds/);
  });

  it('asks for help with no command', () => {
    expect(parseCli([], {})).toBe('help');
  });
});

describe('options: scale-down delays and the Prometheus connection', () => {
  it('leaves the delays to the defaults unless given (the run: 600 s after a promotion, 30 s after a rollback)', () => {
    expect(parseCli(['run'], {})).toMatchObject({
      scaleDownDelaySeconds: undefined,
      abortScaleDownDelaySeconds: undefined,
    });
  });

  it('reads the delays as durations', () => {
    expect(parseCli(['run', '--scale-down-delay', '15m', '--abort-scale-down-delay', '0'], {})).toMatchObject(
      { scaleDownDelaySeconds: 900, abortScaleDownDelaySeconds: 0 },
    );
    expect(() => parseCli(['run', '--scale-down-delay', '1500ms'], {})).toThrow(/whole seconds/);
  });

  it('reads the p95 slack (seconds, default 0)', () => {
    expect(parseCli(['run'], {})).toMatchObject({ p95SlackSeconds: 0 });
    expect(parseCli(['run', '--p95-margin', '0.25', '--p95-slack', '0.15'], {})).toMatchObject({
      p95Margin: 0.25,
      p95SlackSeconds: 0.15,
    });
    expect(() => parseCli(['run', '--p95-slack', '-1'], {})).toThrow(/p95-slack/);
  });

  it('takes the token, headers and TLS settings from flags, else from the environment', () => {
    expect(
      parseCli(
        [
          'run',
          '--prometheus-token-file',
          '/var/run/token',
          '--prometheus-header',
          'X-Scope-OrgID: shop',
          '--prometheus-header',
          'X-Other: 1',
          '--prometheus-ca',
          '/etc/ca.pem',
        ],
        { PROMETHEUS_HEADERS: 'X-Ignored: env' },
      ),
    ).toMatchObject({
      prometheus: {
        tokenFile: '/var/run/token',
        headers: ['X-Scope-OrgID: shop', 'X-Other: 1'],
        caFile: '/etc/ca.pem',
        insecureSkipVerify: false,
      },
    });
    expect(
      parseCli(['run'], {
        PROMETHEUS_TOKEN: 'tok',
        PROMETHEUS_HEADERS: 'X-Scope-OrgID: shop\nX-Other: 2\n',
        PROMETHEUS_CA_FILE: '/ca',
        PROMETHEUS_INSECURE_SKIP_VERIFY: 'true',
      }),
    ).toMatchObject({
      prometheus: {
        token: 'tok',
        headers: ['X-Scope-OrgID: shop', 'X-Other: 2'],
        caFile: '/ca',
        insecureSkipVerify: true,
      },
    });
    // The token itself never on the command line (it would show in `ps`).
    expect(() => parseCli(['run', '--prometheus-token', 'x'], {})).toThrow(/prometheus-token/);
  });
});
