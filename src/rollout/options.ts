import { parseArgs } from 'node:util';
import { DEFAULT_EXTRA_MATCHERS } from './analysis';
import type { PlatformOptions } from './platforms/platform';

// Command line → typed options. Pure (argv and env in, options out) so it is tested apart.

export const COMMANDS = ['status', 'start', 'run', 'promote', 'abort', 'init'] as const;
export type Command = (typeof COMMANDS)[number];

export const USAGE = `usage: bulwark-rollout <command> [options]

commands:
  status                      active colour, each colour's version, current weight
  start --tag T               put T on the idle colour and wait until it is ready (weight 0)
  run [analysis options]      raise the canary weight step by step; promote or roll back
  promote                     make the preview colour active (weight 0), by hand
  abort                       send all traffic back to the active colour (weight 0), by hand
  init                        nginx platform only: create the state and nginx.conf in --nginx-dir
                              (--listen H:P --blue H:P --green H:P [--blue-version V])

analysis options (run):
  --steps 10,25,50,100        canary weights, in percent
  --interval 60s              time between analysis rounds
  --window 1m                 range of every query (default: the interval, at least 1m)
  --max-error-rate 0.001      highest share of 5xx among canary requests
  --max-p95 0.2               highest canary p95 latency, seconds
  --min-requests 50           fewer canary requests in the window: inconclusive (waits)
  --failure-limit 2           failed rounds that trigger the rollback
  --max-inconclusive 10       inconclusive rounds in a row at one step that count as one failure
  --provider-error-limit 3    rounds in a row the metrics provider may fail before they count as failures
  --error-rate-margin M       also fail when canary error rate > stable error rate + M
  --p95-margin M              also fail when canary p95 > stable p95 × (1 + M) + slack
  --p95-slack S               seconds added to that limit (default 0): milliseconds of noise are no slowdown
  --matchers '${DEFAULT_EXTRA_MATCHERS}'   extra label matchers of every query
                              (kubernetes: namespace="<--namespace>" is added to them)
  --report FILE.html          also write the run as one self-contained page (weights, rounds, verdict)

common options:
  --platform kubernetes|nginx|argo (env ROLLOUT_PLATFORM, default kubernetes)
  --provider prometheus       --prometheus-url URL (env PROMETHEUS_URL, default http://127.0.0.1:9090)
  --prometheus-token-file F   bearer token from a file, re-read every query (env PROMETHEUS_TOKEN_FILE;
                              or the token itself in env PROMETHEUS_TOKEN)
  --prometheus-header 'N: V'  extra header of every query, repeatable (e.g. 'X-Scope-OrgID: shop';
                              env PROMETHEUS_HEADERS, one per line)
  --prometheus-ca F           https: CA bundle (PEM) to verify Prometheus with (env PROMETHEUS_CA_FILE)
  --prometheus-insecure-skip-verify  https: do not verify the certificate (env PROMETHEUS_INSECURE_SKIP_VERIFY=true)
  --json                      one JSON object per line instead of text
  kubernetes: --release bulwark --namespace N (env ROLLOUT_NAMESPACE, else the kube context's
              namespace, else default) --chart helm/bulwark [--chart-version V] [--fullname N]
              [--kube-context C] [--helm PATH] [--kubectl PATH] [--ready-timeout 10m]
  scale-down: --scale-down-delay 10m (after a promotion, the previous colour; kubernetes default:
              the release's rollout.scaleDownDelaySeconds) --abort-scale-down-delay 30s (after an
              abort or rollback, the rejected colour; rollout.abortScaleDownDelaySeconds)
  nginx:      --nginx-dir DIR (env ROLLOUT_NGINX_DIR) [--nginx PATH] [--ready-timeout 2m]
  argo:       --release bulwark --namespace default [--fullname N] [--kube-context C] [--kubectl PATH]
              (Argo Rollouts runs the steps and the analysis; run watches it, polling every
              --interval, at most 5s; docs/engines.md)

exit codes: 0 promoted (or command done), 2 rolled back / aborted, 1 error or refused`;

/**
 * An OCI image tag. Checked before it reaches `helm --set-string`, which splits on commas and would
 * take `2.0,canary.weight=100` as a second value.
 */
export const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** `60s`, `2m`, `500ms`, `1h`, or a bare number of seconds → milliseconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) throw new Error(`not a duration: "${text}" (use e.g. 30s, 2m, 500ms)`);
  const n = Number(m[1]);
  const unit = m[2] ?? 's';
  return Math.round(n * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[unit]!);
}

/** A duration as a Prometheus range (whole seconds, at least 1s). */
export function promRange(ms: number): string {
  return `${Math.max(1, Math.round(ms / 1000))}s`;
}

export function parseSteps(text: string): number[] {
  const steps = text.split(',').map((s) => Number(s.trim()));
  if (steps.length === 0 || steps.some((s) => !Number.isInteger(s) || s < 1 || s > 100))
    throw new Error(`--steps must be integers 1–100, got "${text}"`);
  for (let i = 1; i < steps.length; i++)
    if (steps[i] <= steps[i - 1]) throw new Error(`--steps must increase, got "${text}"`);
  return steps;
}

function num(
  name: string,
  text: string | undefined,
  fallback: number,
  min: number,
  max = Infinity,
  integer = false,
): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
    throw new Error(
      `--${name} must be ${integer ? 'an integer' : 'a number'} between ${min} and ${max}, got "${text}"`,
    );
  }
  return n;
}

/** What the command line sets: the run's own options, and the platform's (all but its command runner). */
export interface CliOptions extends Omit<PlatformOptions, 'runner'> {
  command: Command;
  json: boolean;
  /** `run --report FILE`: where to write the report page. */
  report?: string;
  platform: string;
  provider: string;
  prometheusUrl: string;
  tag?: string;
  steps: number[];
  intervalMs: number;
  window: string;
  maxErrorRate: number;
  maxP95: number;
  minRequests: number;
  failureLimit: number;
  maxInconclusive: number;
  providerErrorLimit: number;
  errorRateMargin?: number;
  p95Margin?: number;
  p95SlackSeconds: number;
  matchers: string;
  /** Where the namespace came from: `--namespace`, `ROLLOUT_NAMESPACE` (here), or the kube context (main.ts). */
  namespaceFrom?: string;
  /** Seconds; undefined: the platform's default (kubernetes: the release's rollout.* values; else 600 after a promotion, 30 after a rollback or abort). */
  scaleDownDelaySeconds?: number;
  abortScaleDownDelaySeconds?: number;
  prometheus: {
    token?: string;
    tokenFile?: string;
    headers: string[];
    caFile?: string;
    insecureSkipVerify: boolean;
  };
  init: { listen?: string; blue?: string; green?: string; blueVersion?: string; greenVersion?: string };
}

function delaySeconds(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const ms = parseDuration(text);
  if (ms % 1000 !== 0) throw new Error(`--${name} must be whole seconds, got "${text}"`);
  return ms / 1000;
}

export function parseCli(argv: string[], env: NodeJS.ProcessEnv = {}): CliOptions | 'help' {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      help: { type: 'boolean', short: 'h' },
      json: { type: 'boolean' },
      report: { type: 'string' },
      platform: { type: 'string' },
      provider: { type: 'string' },
      'prometheus-url': { type: 'string' },
      'prometheus-token-file': { type: 'string' },
      'prometheus-header': { type: 'string', multiple: true },
      'prometheus-ca': { type: 'string' },
      'prometheus-insecure-skip-verify': { type: 'boolean' },
      'scale-down-delay': { type: 'string' },
      'abort-scale-down-delay': { type: 'string' },
      tag: { type: 'string' },
      steps: { type: 'string' },
      interval: { type: 'string' },
      window: { type: 'string' },
      'max-error-rate': { type: 'string' },
      'max-p95': { type: 'string' },
      'min-requests': { type: 'string' },
      'failure-limit': { type: 'string' },
      'max-inconclusive': { type: 'string' },
      'provider-error-limit': { type: 'string' },
      'error-rate-margin': { type: 'string' },
      'p95-margin': { type: 'string' },
      'p95-slack': { type: 'string' },
      matchers: { type: 'string' },
      'nginx-dir': { type: 'string' },
      nginx: { type: 'string' },
      release: { type: 'string' },
      namespace: { type: 'string', short: 'n' },
      chart: { type: 'string' },
      'chart-version': { type: 'string' },
      fullname: { type: 'string' },
      'kube-context': { type: 'string' },
      helm: { type: 'string' },
      kubectl: { type: 'string' },
      'ready-timeout': { type: 'string' },
      listen: { type: 'string' },
      blue: { type: 'string' },
      green: { type: 'string' },
      'blue-version': { type: 'string' },
      'green-version': { type: 'string' },
    },
  });
  if (values.help || positionals.length === 0) return 'help';
  if (positionals.length > 1) throw new Error(`one command at a time, got: ${positionals.join(' ')}`);
  const command = positionals[0] as Command;
  if (!COMMANDS.includes(command))
    throw new Error(`unknown command "${positionals[0]}" (known: ${COMMANDS.join(', ')})`);
  if (command === 'start' && !values.tag) throw new Error('start needs --tag T');
  if (values.tag !== undefined && !TAG.test(values.tag))
    throw new Error(
      `--tag must be an image tag (letters, digits, _ . -; at most 128; not starting with . or -), got "${values.tag}"`,
    );

  if (values.report !== undefined && command !== 'run') throw new Error('--report is for the run command');
  if (values.report === '') throw new Error('--report needs a file name');

  const intervalMs = values.interval ? parseDuration(values.interval) : 60_000;
  if (intervalMs < 100) throw new Error('--interval must be at least 100ms');
  const envHeaders = (env.PROMETHEUS_HEADERS ?? '')
    .split('\n')
    .map((h) => h.trim())
    .filter((h) => h !== '');
  const margin = (name: 'error-rate-margin' | 'p95-margin'): number | undefined =>
    values[name] === undefined ? undefined : num(name, values[name], 0, 0);

  return {
    command,
    json: values.json ?? false,
    report: values.report,
    platform: values.platform ?? env.ROLLOUT_PLATFORM ?? 'kubernetes',
    provider: values.provider ?? 'prometheus',
    prometheusUrl: values['prometheus-url'] ?? env.PROMETHEUS_URL ?? 'http://127.0.0.1:9090',
    tag: values.tag,
    steps: values.steps ? parseSteps(values.steps) : [10, 25, 50, 100],
    intervalMs,
    window: values.window ? promRange(parseDuration(values.window)) : promRange(Math.max(intervalMs, 60_000)),
    maxErrorRate: num('max-error-rate', values['max-error-rate'], 0.001, 0, 1),
    maxP95: num('max-p95', values['max-p95'], 0.2, 0),
    minRequests: num('min-requests', values['min-requests'], 50, 1, Infinity, true),
    failureLimit: num('failure-limit', values['failure-limit'], 2, 1, Infinity, true),
    maxInconclusive: num('max-inconclusive', values['max-inconclusive'], 10, 1, Infinity, true),
    providerErrorLimit: num('provider-error-limit', values['provider-error-limit'], 3, 1, Infinity, true),
    errorRateMargin: margin('error-rate-margin'),
    p95Margin: margin('p95-margin'),
    p95SlackSeconds: num('p95-slack', values['p95-slack'], 0, 0),
    matchers: values.matchers ?? DEFAULT_EXTRA_MATCHERS,
    prometheus: {
      token: env.PROMETHEUS_TOKEN || undefined,
      tokenFile: values['prometheus-token-file'] ?? (env.PROMETHEUS_TOKEN_FILE || undefined),
      headers: values['prometheus-header'] ?? envHeaders,
      caFile: values['prometheus-ca'] ?? (env.PROMETHEUS_CA_FILE || undefined),
      insecureSkipVerify:
        values['prometheus-insecure-skip-verify'] ?? env.PROMETHEUS_INSECURE_SKIP_VERIFY === 'true',
    },
    nginxDir: values['nginx-dir'] ?? env.ROLLOUT_NGINX_DIR,
    nginxBin: values.nginx,
    release: values.release,
    namespace: values.namespace ?? (env.ROLLOUT_NAMESPACE || undefined),
    namespaceFrom:
      values.namespace !== undefined
        ? '--namespace'
        : env.ROLLOUT_NAMESPACE
          ? 'ROLLOUT_NAMESPACE'
          : undefined,
    scaleDownDelaySeconds: delaySeconds('scale-down-delay', values['scale-down-delay']),
    abortScaleDownDelaySeconds: delaySeconds('abort-scale-down-delay', values['abort-scale-down-delay']),
    chart: values.chart,
    chartVersion: values['chart-version'],
    fullname: values.fullname,
    kubeContext: values['kube-context'],
    helm: values.helm,
    kubectl: values.kubectl,
    readyTimeoutMs: values['ready-timeout'] ? parseDuration(values['ready-timeout']) : undefined,
    init: {
      listen: values.listen,
      blue: values.blue,
      green: values.green,
      blueVersion: values['blue-version'],
      greenVersion: values['green-version'],
    },
  };
}
