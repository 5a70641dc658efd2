import { existsSync } from 'node:fs';
import { REHEARSAL_NAMESPACE } from './argo-readings';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join, resolve } from 'node:path';
import { buildQueries, DEFAULT_EXTRA_MATCHERS } from '../analysis';
import {
  ACTIVE_COLOR_FILE,
  CONF_FILE,
  parseConfWeights,
  parseState,
  STATE_FILE,
} from '../platforms/nginx-config';
import { initNginxDir } from '../platforms/nginx-dir';
import { defaultNginxBin, nginxArgs } from '../platforms/nginx-reload';
import type { Colour } from '../platforms/platform';
import { freePort, httpStatus, pollUntil, StageProcess } from './processes';
import type { Scenario } from './scenarios';
import { LoadStats, SteadyLoad } from './load';

// The rehearsal stage: real Bulwark processes (blue active — one, or more for the `unsized` scenario —
// and green preview), real nginx in front, real Prometheus scraping them every second, a steady load
// through nginx. All on 127.0.0.1. The instances read the nginx platform's active-colour file
// (ACTIVE_COLOR_FILE), so background work moves with a promotion here as on Kubernetes.

export const STABLE_VERSION = '1.0.0';
export const CANARY_VERSION = '1.1.0';
export const LOAD_RATE = 60;
const JWT_SECRET = 'rehearsal-secret-rehearsal-secret-0123456789';

export interface StageOptions {
  workDir: string;
  databaseUrl: string;
  scenario: Scenario;
  /** The environment the stage's programs start from (PATH finds nginx and prometheus; HOME). */
  env: NodeJS.ProcessEnv;
  /** The built service (default dist/main.js next to this file). */
  appEntry?: string;
  loadRate?: number;
  log?: (line: string) => void;
  /**
   * Labels Prometheus adds to each colour's series, e.g. the `namespace`, `service` and `pod` a
   * ServiceMonitor's scrape gives them on Kubernetes (the dashboard spec evaluates the chart's queries
   * on them). None by default.
   */
  targetLabels?: Record<Colour, Record<string, string>>;
  /** Rule files Prometheus loads (the chart's recording rules, for the dashboard spec). None by default. */
  ruleFiles?: string[];
}

function which(names: string[], path = ''): string | null {
  for (const n of names) {
    if (n.includes('/')) {
      if (existsSync(n)) return n;
      continue;
    }
    for (const dir of path.split(':').concat(['/usr/sbin', '/usr/bin']))
      if (existsSync(join(dir, n))) return join(dir, n);
  }
  return null;
}

function freshGet(port: number, path: string): Promise<{ status: number; body: string; upstream: string }> {
  return new Promise((done, fail) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false, timeout: 15_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () =>
        done({
          status: res.statusCode ?? 0,
          body,
          upstream: String(res.headers['x-bulwark-upstream'] ?? ''),
        }),
      );
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${path} timed out`)));
    req.on('error', fail);
    req.end();
  });
}

export class Stage {
  readonly nginxDir: string;
  ports = { blue: 0, green: 0, nginx: 0, prometheus: 0 };
  /** Ports of the active colour's further instances (the `unsized` scenario). */
  moreBlue: number[] = [];
  private procs: StageProcess[] = [];
  private canary?: StageProcess;
  prometheus?: StageProcess;
  load?: SteadyLoad;
  private readonly log: (line: string) => void;

  constructor(private readonly o: StageOptions) {
    this.nginxDir = join(o.workDir, 'nginx');
    this.log = o.log ?? (() => undefined);
  }

  get nginxUrl(): string {
    return `http://127.0.0.1:${this.ports.nginx}`;
  }

  get prometheusUrl(): string {
    return `http://127.0.0.1:${this.ports.prometheus}`;
  }

  colourOf = (upstream: string): Colour | undefined => {
    // With a retry inside nginx the header lists several addresses; the last one answered.
    const last = upstream.split(',').pop()!.trim();
    if ([this.ports.blue, ...this.moreBlue].some((p) => last.endsWith(`:${p}`))) return 'blue';
    if (last.endsWith(`:${this.ports.green}`)) return 'green';
    return undefined;
  };

  async up(): Promise<void> {
    const nginx = which([defaultNginxBin()], this.o.env.PATH);
    const prometheus = which(['prometheus'], this.o.env.PATH);
    if (!nginx || !prometheus)
      throw new Error(
        'nginx and prometheus are needed: run scripts/setup.d/30-rehearsal-tools.sh (Debian packages)',
      );
    const appEntry = this.o.appEntry ?? resolve(__dirname, '../../main.js');
    if (!existsSync(appEntry))
      throw new Error(`${appEntry} is missing: build the service first (npm run build)`);
    await mkdir(this.o.workDir, { recursive: true });
    this.ports = {
      blue: await freePort(),
      green: await freePort(),
      nginx: await freePort(),
      prometheus: await freePort(),
    };
    this.moreBlue = [];
    for (let i = 1; i < (this.o.scenario.activeInstances ?? 1); i++) this.moreBlue.push(await freePort());
    const blueAddresses = [this.ports.blue, ...this.moreBlue].map((p) => `127.0.0.1:${p}`);

    // nginx: the platform's own files, weight 0 (all traffic to blue), and the active-colour file
    // every instance reads.
    await initNginxDir(this.nginxDir, {
      listen: `127.0.0.1:${this.ports.nginx}`,
      blue: blueAddresses.join(','),
      green: `127.0.0.1:${this.ports.green}`,
      activeColor: 'blue',
      versions: { blue: STABLE_VERSION, green: null },
    });

    // Both colours at once: blue migrates; green waits for it (its readiness needs the migrations).
    const app = (
      colour: Colour,
      version: string,
      extra: Record<string, string>,
      port = this.ports[colour],
      name: string = colour,
    ): StageProcess => {
      const env: NodeJS.ProcessEnv = {
        PATH: this.o.env.PATH,
        HOME: this.o.env.HOME,
        NODE_ENV: 'production',
        PORT: String(port),
        DATABASE_URL: this.o.databaseUrl,
        DATA_DIR: join(this.o.workDir, `data-${name}`),
        RELEASE_COLOR: colour,
        APP_VERSION: version,
        JWT_SECRET,
        ACCESS_TOKEN_TTL: '3600',
        LOG_LEVEL: 'warn',
        MIGRATE_ON_BOOT: name === 'blue' ? 'true' : 'false',
        ACTIVE_COLOR_FILE: join(this.nginxDir, ACTIVE_COLOR_FILE),
        ACTIVE_COLOR_POLL_MS: '1000',
        RATE_LIMIT_PER_MINUTE: '1000000',
        LOGIN_RATE_LIMIT_PER_MINUTE: '1000',
        SHUTDOWN_DELAY_MS: '0',
        DB_POOL_MAX: '10',
        ...extra,
      };
      const p = new StageProcess(
        `app-${name}`,
        process.execPath,
        [appEntry],
        env,
        join(this.o.workDir, `app-${name}.log`),
      );
      this.procs.push(p);
      return p;
    };
    const blue = app('blue', STABLE_VERSION, {});
    const moreBlue = this.moreBlue.map((port, i) => app('blue', STABLE_VERSION, {}, port, `blue-${i + 2}`));
    const green = app('green', CANARY_VERSION, this.o.scenario.canaryEnv);
    this.canary = green;
    this.log(
      `blue  (active, ${STABLE_VERSION}) on ${[this.ports.blue, ...this.moreBlue].map((p) => `:${p}`).join(' ')}`,
    );
    this.log(
      `green (preview, ${CANARY_VERSION}${
        Object.keys(this.o.scenario.canaryEnv).length
          ? `, ${Object.entries(this.o.scenario.canaryEnv)
              .map(([k, v]) => `${k}=${v}`)
              .join(' ')}`
          : ''
      }) on :${this.ports.green}`,
    );

    const nginxProc = new StageProcess(
      'nginx',
      nginx,
      [...nginxArgs(this.nginxDir), '-g', 'daemon off;'],
      this.o.env,
      join(this.o.workDir, 'nginx.log'),
    );
    this.procs.push(nginxProc);
    this.log(`nginx on :${this.ports.nginx} (${this.nginxDir})`);

    // Prometheus: scrapes every instance every second.
    const promDir = join(this.o.workDir, 'prometheus');
    await mkdir(join(promDir, 'data'), { recursive: true });
    await writeFile(
      join(promDir, 'prometheus.yml'),
      [
        'global: { scrape_interval: 1s, evaluation_interval: 1s }',
        ...(this.o.ruleFiles?.length
          ? ['rule_files:', ...this.o.ruleFiles.map((f) => `  - ${JSON.stringify(f)}`)]
          : []),
        'scrape_configs:',
        '  - job_name: bulwark',
        '    static_configs:',
        // As Kubernetes discovery labels every target: engine argo's queries select on `namespace`.
        ...(this.o.targetLabels
          ? (
              [
                ['blue', blueAddresses],
                ['green', [`127.0.0.1:${this.ports.green}`]],
              ] as const
            ).flatMap(([c, addresses]) => [
              `      - targets: [${addresses.map((a) => `'${a}'`).join(', ')}]`,
              `        labels: ${JSON.stringify({ namespace: REHEARSAL_NAMESPACE, ...this.o.targetLabels![c] })}`,
            ])
          : [
              `      - targets: [${[...blueAddresses, `127.0.0.1:${this.ports.green}`].map((a) => `'${a}'`).join(', ')}]`,
              `        labels: { namespace: ${REHEARSAL_NAMESPACE} }`,
            ]),
        '',
      ].join('\n'),
    );
    this.prometheus = new StageProcess(
      'prometheus',
      prometheus,
      [
        `--config.file=${join(promDir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(promDir, 'data')}`,
        `--web.listen-address=127.0.0.1:${this.ports.prometheus}`,
        '--log.level=warn',
      ],
      this.o.env,
      join(this.o.workDir, 'prometheus.log'),
    );
    this.procs.push(this.prometheus);
    this.log(`prometheus on :${this.ports.prometheus}, scraping every instance every 1s`);

    const ready = (p: StageProcess, url: string, what: string) =>
      pollUntil(
        what,
        async () => (await httpStatus(url)) === 200 || 'not ready',
        180_000, // blue migrates first; a busy machine needs minutes
        200,
        () => p.running,
      );
    await Promise.all([
      ready(blue, `http://127.0.0.1:${this.ports.blue}/health/ready`, 'blue ready'),
      ...moreBlue.map((p, i) =>
        ready(p, `http://127.0.0.1:${this.moreBlue[i]}/health/ready`, `blue instance ${i + 2} ready`),
      ),
      ready(green, `http://127.0.0.1:${this.ports.green}/health/ready`, 'green ready'),
      ready(nginxProc, `${this.nginxUrl}/health/live`, 'nginx answering'),
      ready(this.prometheus, `${this.prometheusUrl}/-/ready`, 'prometheus ready'),
    ]);
    this.log('blue, green, nginx and prometheus are ready');
  }

  /** Kills the canary (green) with SIGKILL; resolves with the time it was gone. */
  async killCanary(): Promise<number> {
    await this.canary!.kill();
    return Date.now();
  }

  /** Every instance Prometheus scrapes. */
  get instances(): number {
    return 2 + this.moreBlue.length;
  }

  /** A user for the load, created on blue directly (the canary may have faults on /v1). */
  async token(): Promise<string> {
    const base = `http://127.0.0.1:${this.ports.blue}`;
    const email = `load-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@rehearsal.test`;
    const password = 'rehearsal-password-1';
    const post = (path: string, body: object) =>
      fetch(`${base}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const reg = await post('/v1/auth/register', { email, password, name: 'Rehearsal load' });
    if (reg.status !== 201) throw new Error(`register answered ${reg.status}: ${await reg.text()}`);
    const login = await post('/v1/auth/login', { email, password });
    if (login.status !== 200) throw new Error(`login answered ${login.status}: ${await login.text()}`);
    return ((await login.json()) as { accessToken: string }).accessToken;
  }

  async startLoad(): Promise<void> {
    this.load = new SteadyLoad({
      baseUrl: this.nginxUrl,
      path: '/v1/users/me',
      token: await this.token(),
      ratePerSecond: this.o.loadRate ?? LOAD_RATE,
      colourOf: this.colourOf,
    });
    this.load.start();
  }

  /** Waits until Prometheus has scraped both colours and seen load on the stable one. */
  async waitForMetrics(): Promise<void> {
    const q = async (promql: string): Promise<number> => {
      const r = await fetch(`${this.prometheusUrl}/api/v1/query?${new URLSearchParams({ query: promql })}`);
      const body = (await r.json()) as { data?: { result?: Array<{ value: [number, string] }> } };
      return Number(body.data?.result?.[0]?.value[1] ?? NaN);
    };
    await pollUntil(
      'prometheus scraping both colours',
      async () => (await q('sum(up{job="bulwark"})')) === this.instances || 'targets not up yet',
      30_000,
      250,
    );
    // The tool's own query for the stable colour's requests.
    const stableRequests = buildQueries({
      color: 'blue',
      window: '10s',
      extraMatchers: DEFAULT_EXTRA_MATCHERS,
    }).requests;
    await pollUntil(
      'stable traffic visible in prometheus',
      async () => (await q(stableRequests)) > 0 || 'no traffic yet',
      30_000,
      250,
    );
  }

  /**
   * The stage is only worth rehearsing on when the stable colour answers the load: waits (up to 45 s,
   * past the processes' warm-up) for 100 requests in a row with at most 1 % failed.
   */
  async assertHealthyBaseline(): Promise<void> {
    const deadline = Date.now() + 45_000;
    for (;;) {
      const from = this.load!.stats();
      await pollUntil(
        'load answered',
        async () => (this.load!.stats().total - from.total >= 100 ? true : 'fewer than 100 answers'),
        30_000,
        100,
      );
      const s = SteadyLoad.since(from, this.load!.stats());
      if (s.failedShare <= 0.01 && s.networkErrors === 0) return;
      if (Date.now() > deadline) {
        throw new Error(
          `the stage is broken before the rollout: ${s.failed} of ${s.total} requests through nginx failed (statuses ${JSON.stringify(s.byStatus)}) and ${s.networkErrors} got no answer (see ${this.o.workDir}/app-blue.log; run with --keep)`,
        );
      }
    }
  }

  async stopPrometheus(): Promise<void> {
    await this.prometheus?.stop();
  }

  /** The weights nginx really routes by, read back from its config, and the platform's state. */
  async routing(): Promise<{
    weights: Record<Colour, number>;
    activeColor: Colour;
    weight: number;
    versions: Record<Colour, string | null>;
  }> {
    const weights = parseConfWeights(await readFile(join(this.nginxDir, CONF_FILE), 'utf8'));
    const state = parseState(await readFile(join(this.nginxDir, STATE_FILE), 'utf8'));
    return {
      weights,
      activeColor: state.activeColor,
      weight: state.weight,
      versions: { blue: state.upstreams.blue.version, green: state.upstreams.green.version },
    };
  }

  /**
   * Where `n` new requests through nginx land, by colour and by the version the instance reports.
   * Each on a fresh connection: a kept-alive one may still belong to an nginx worker of an older
   * configuration, finishing its last request before it exits.
   */
  async probe(n: number): Promise<{ colours: Record<string, number>; versions: Record<string, number> }> {
    const colours: Record<string, number> = {};
    const versions: Record<string, number> = {};
    for (let i = 0; i < n; i++) {
      // The probe asks where traffic goes, not whether a loaded machine answers in time: one retry
      // on a transport error (both attempts failing is still counted, as an error).
      const r = await freshGet(this.ports.nginx, '/health/live')
        .catch(() => freshGet(this.ports.nginx, '/health/live'))
        .catch((err: Error) => ({
          status: 0,
          body: '',
          upstream: `error: ${err.message}`,
        }));
      const colour = this.colourOf(r.upstream) ?? (r.status === 0 ? r.upstream : 'unknown');
      colours[colour] = (colours[colour] ?? 0) + 1;
      const version = r.body.match(/"version":"([^"]+)"/)?.[1] ?? 'unknown';
      versions[version] = (versions[version] ?? 0) + 1;
    }
    return { colours, versions };
  }

  async stopLoad(): Promise<LoadStats | undefined> {
    return this.load?.stop();
  }

  async down(): Promise<void> {
    await this.load?.stop();
    await Promise.all(this.procs.map((p) => p.stop()));
  }
}
