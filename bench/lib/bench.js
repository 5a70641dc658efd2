'use strict';
/**
 * `npm run bench`: Bulwark beside the bare Fastify + pg baseline (bench/baseline/server.js), same
 * machine, same PostgreSQL server, same seeded data, alternating A/B per round. See docs/performance.md.
 */
const { mkdirSync, mkdtempSync, chmodSync, writeFileSync, readFileSync, rmSync } = require('node:fs');
const os = require('node:os');
const { join, resolve } = require('node:path');
const { execFileSync } = require('node:child_process');
const { spawnServer, waitReady, memoryOf } = require('./processes');
const { runSoak, soakSvg } = require('./soak');
const { runLoad } = require('./load');
const { startSqlProxy, statementShape } = require('./pg-proxy');
const { withClient, databaseUrl, seed, newSecret } = require('./seed');
const report = require('./report');

const ROOT = resolve(__dirname, '..', '..');
const log = (message) => process.stderr.write(`[bench] ${message}\n`);

function plan(quick) {
  return quick
    ? { warmupS: 1, durationS: 2, rounds: 1, users: 20, products: 50, ordersPerUser: 5, coldStarts: 1, readConnections: 16, loginDurationS: 2, soakMinutes: 0.25 }
    : { warmupS: 2, durationS: 8, rounds: 3, users: 200, products: 500, ordersPerUser: 10, coldStarts: 3, readConnections: 50, loginDurationS: 10, soakMinutes: 10 };
}

/**
 * Sampling of a soak of `minutes`: every 10 s after a 2-minute warm-up, RSS growth judged on
 * one-minute windows and heap growth on the floor of each half (docs/performance.md); a short soak
 * (the suite's, or `--soak 1`) scales all three down.
 */
function soakSampling(minutes) {
  const durationS = minutes * 60;
  if (durationS >= 240) return { sampleEveryS: 10, warmupS: 120, windowS: 60 };
  return { sampleEveryS: Math.max(1, Math.round(durationS / 12)), warmupS: Math.round(durationS * 0.4), windowS: Math.max(2, Math.round(durationS * 0.2)) };
}

/** An OTLP/HTTP traces endpoint that accepts and counts spans (the JSON encoding), nothing more. */
async function startSpanSink() {
  const http = require('node:http');
  let spans = 0;
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      spans += (body.match(/"spanId"/g) || []).length;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${server.address().port}`, spans: () => spans, close: () => new Promise((resolve) => server.close(resolve)) };
}

function pkgVersion(name) {
  try {
    // Read from node_modules: packages with an "exports" map refuse require.resolve('<name>/package.json').
    return JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')).version;
  } catch {
    return null;
  }
}

function machine() {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpuModel: cpus[0] ? cpus[0].model.trim() : 'unknown',
    memoryBytes: os.totalmem(),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    hostname: os.hostname(),
    node: process.versions.node,
    /** Other work on the machine during the run distorts both servers alike (A/B), but is worth knowing. */
    loadAverageAtStart: os.loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

/** The PostgreSQL server: DATABASE_URL (any database on it; the bench creates its own) or an embedded one. */
async function databaseServer(distDir, workDir) {
  if (process.env.DATABASE_URL) return { url: process.env.DATABASE_URL, kind: 'DATABASE_URL', stop: async () => undefined };
  const { startEmbeddedPostgres } = require(join(distDir, 'database', 'embedded.js'));
  const pino = require('pino');
  const dir = join(workDir, 'pg');
  mkdirSync(dir, { recursive: true });
  chmodSync(workDir, 0o755);
  chmodSync(dir, 0o755);
  const embedded = await startEmbeddedPostgres(dir, newSecret(), pino({ level: 'warn' }), 'bench_admin');
  // Both servers connect as Bulwark does to its embedded database: through the Unix socket when there
  // is one (src/runtime.ts); with DATABASE_URL, both use that URL as given (TCP for a TCP URL).
  const url = embedded.adminSocketUrl || embedded.adminUrl;
  return { url, kind: embedded.adminSocketUrl ? 'embedded (Unix socket)' : 'embedded (TCP)', stop: () => embedded.stop() };
}

function baseEnv() {
  const keep = ['PATH', 'HOME', 'TMPDIR', 'LANG', 'TZ'];
  return Object.fromEntries(keep.filter((k) => process.env[k] !== undefined).map((k) => [k, process.env[k]]));
}

async function probeStatements(server, fixtures) {
  const user = fixtures.users[0];
  const headers = { authorization: `Bearer ${user.token}` };
  const probes = {
    productRead: () => fetch(`${server.url}/v1/products/${fixtures.productIds[0]}`, { headers }),
    createOrder: () =>
      fetch(`${server.url}/v1/orders`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json', 'idempotency-key': `probe-${Date.now()}` },
        body: JSON.stringify({ items: [{ productId: fixtures.productIds[1], quantity: 1 }] }),
      }),
    orderRead: () => fetch(`${server.url}/v1/orders/${user.orderIds[0]}`, { headers }),
  };
  const out = {};
  for (const [route, probe] of Object.entries(probes)) {
    await new Promise((r) => setTimeout(r, 100));
    server.proxy.clear();
    const res = await probe();
    await res.arrayBuffer();
    await new Promise((r) => setTimeout(r, 100));
    out[route] = { status: res.status, statements: server.proxy.statements.map(statementShape) };
  }
  return out;
}

async function main(options) {
  const p = plan(options.quick);
  if (options.durationS) p.durationS = options.durationS;
  if (options.warmupS !== undefined) p.warmupS = options.warmupS;
  if (options.rounds) p.rounds = options.rounds;
  if (options.soakMinutes !== undefined) p.soakMinutes = options.soakMinutes;
  const distDir = resolve(options.distDir);
  const outDir = resolve(options.outDir);
  mkdirSync(outDir, { recursive: true });
  const workDir = mkdtempSync(join(os.tmpdir(), 'bulwark-bench-'));
  const logDir = join(workDir, 'logs');
  mkdirSync(logDir);
  log(`dist ${distDir}, results ${outDir}, logs ${logDir}, ${options.quick ? 'QUICK' : 'full'} plan ${JSON.stringify(p)}`);

  const db = await databaseServer(distDir, workDir);
  const stamp = `${Date.now().toString(36)}_${process.pid}`;
  const names = { bulwark: `bench_bulwark_${stamp}`, baseline: `bench_baseline_${stamp}` };
  const urls = { bulwark: databaseUrl(db.url, names.bulwark), baseline: databaseUrl(db.url, names.baseline) };
  const servers = [];
  const jwtSecret = newSecret();
  const bulwarkEnv = (url, extra = {}) => ({
    ...baseEnv(),
    NODE_ENV: 'production',
    DATABASE_URL: url,
    JWT_SECRET: jwtSecret,
    RATE_LIMIT_PER_MINUTE: '10000000',
    ORDER_RATE_LIMIT_PER_MINUTE: '10000000',
    LOGIN_RATE_LIMIT_PER_MINUTE: '10000000',
    SHUTDOWN_DELAY_MS: '0',
    ...options.bulwarkEnv,
    ...extra,
  });
  const baselineEnv = (url) => ({ ...baseEnv(), NODE_ENV: 'production', DATABASE_URL: url, JWT_SECRET: jwtSecret, DB_POOL_MAX: '10' });
  const startBulwark = async (name, url, extra) => {
    const nodeArgs = options.cpuProf && (name === 'bulwark' || name === 'bulwark-cold-0') ? ['--cpu-prof', '--cpu-prof-dir', resolve(options.cpuProf)] : [];
    const s = await spawnServer({ name, script: join(distDir, 'main.js'), env: bulwarkEnv(url, extra), logFile: join(logDir, `${name}.log`), cwd: ROOT, nodeArgs });
    servers.push(s);
    s.readyMs = await waitReady(s);
    return s;
  };
  const startBaseline = async (name, url) => {
    const s = await spawnServer({ name, script: join(__dirname, '..', 'baseline', 'server.js'), env: baselineEnv(url), logFile: join(logDir, `${name}.log`), cwd: ROOT });
    servers.push(s);
    s.readyMs = await waitReady(s);
    return s;
  };

  try {
    const result = {
      version: 1,
      date: new Date().toISOString(),
      quick: Boolean(options.quick),
      machine: machine(),
      database: db.kind,
      versions: {
        bulwark: JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version,
        nestCore: pkgVersion('@nestjs/core'),
        nestPlatformFastify: pkgVersion('@nestjs/platform-fastify'),
        fastify: pkgVersion('fastify'),
        typeorm: pkgVersion('typeorm'),
        pg: pkgVersion('pg'),
        autocannon: pkgVersion('autocannon'),
        postgres: null,
      },
      settings: {
        ...p,
        dbPoolMax: 10,
        bulwarkEnv: { NODE_ENV: 'production', LOG_LEVEL: 'info (default, access log to a file)', RATE_LIMIT_PER_MINUTE: 1e7, ORDER_RATE_LIMIT_PER_MINUTE: 1e7, LOGIN_RATE_LIMIT_PER_MINUTE: 1e7 },
        requestsPerSecond: '2xx answers per second',
        extraBulwarkEnv: options.bulwarkEnv || {},
      },
    };

    // 1. Schema (Bulwark migrates on boot), fixtures, then the baseline's copy of the same database.
    await withClient(db.url, async (c) => {
      result.versions.postgres = (await c.query('SHOW server_version')).rows[0].server_version;
      await c.query(`CREATE DATABASE "${names.bulwark}"`);
    });
    log('migrating through a first Bulwark start');
    const migrator = await startBulwark('bulwark-migrate', urls.bulwark, { WEBHOOK_DISPATCHER_ENABLED: 'false' });
    await migrator.stop();
    const { ARGON2_OPTIONS } = require(join(distDir, 'auth', 'password-hasher.js'));
    const password = 'bench-password-1';
    const passwordHash = await require('argon2').hash(password, ARGON2_OPTIONS);
    log(`seeding ${p.users} users (+ sessions, tokens), ${p.products} products, ${p.users * p.ordersPerUser} orders`);
    const fixtures = await seed(urls.bulwark, { users: p.users, products: p.products, ordersPerUser: p.ordersPerUser, passwordHash, password, jwtSecret });
    await withClient(db.url, (c) => c.query(`CREATE DATABASE "${names.baseline}" TEMPLATE "${names.bulwark}"`));

    // 2. Statement check: both servers through a recording proxy, one request per route.
    log('probing the SQL of each route (Bulwark and baseline through a recording proxy)');
    result.statementCheck = {};
    const probed = {};
    for (const [which, start] of [
      ['bulwark', (url) => startBulwark('bulwark-probe', url, { WEBHOOK_DISPATCHER_ENABLED: 'false' })],
      ['baseline', (url) => startBaseline('baseline-probe', url)],
    ]) {
      const proxy = await startSqlProxy(urls[which]);
      const server = await start(proxy.url);
      server.proxy = proxy;
      probed[which] = await probeStatements(server, fixtures);
      await server.stop();
      await proxy.close();
    }
    for (const route of Object.keys(probed.bulwark)) {
      const a = probed.bulwark[route];
      const b = probed.baseline[route];
      result.statementCheck[route] = {
        same: a.status === b.status && JSON.stringify(a.statements) === JSON.stringify(b.statements),
        bulwark: a,
        baseline: b,
      };
      if (!result.statementCheck[route].same) log(`WARNING: ${route}: the baseline's statements differ from Bulwark's (see statementCheck in the JSON)`);
    }

    // 3. Cold starts (the database is migrated: what a restart or a new replica costs).
    const coldRuns = [];
    const readyRss = [];
    for (let i = 0; i < p.coldStarts; i += 1) {
      const s = await startBulwark(`bulwark-cold-${i}`, urls.bulwark);
      coldRuns.push(Math.round(s.readyMs));
      readyRss.push(memoryOf(s.pid).rss);
      await s.stop();
    }
    result.coldStartMs = { runs: coldRuns, median: report.median(coldRuns) };
    // What Bulwark holds before any traffic (the floor under every scenario's peak).
    result.bulwarkRssAtReadyMb = report.mb(report.median(readyRss));
    log(`cold start ${JSON.stringify(coldRuns)} ms`);

    // 4. The two servers under load, A/B alternating.
    const bulwark = await startBulwark('bulwark', urls.bulwark);
    const baseline = await startBaseline('baseline', urls.baseline);
    result.baselineRssAtReadyMb = report.mb(memoryOf(baseline.pid).rss);
    result.baselineReadyMs = Math.round(baseline.readyMs);
    const pair = { bulwark, baseline };
    const scenarios = [
      { name: 'productRead', kind: 'productRead', connections: p.readConnections },
      { name: 'orderRead', kind: 'orderRead', connections: p.readConnections },
      { name: 'createOrder', kind: 'createOrder', connections: p.readConnections },
      { name: 'mixed32', kind: 'mixed', connections: 32 },
      { name: 'mixed128', kind: 'mixed', connections: 128 },
      { name: 'mixedFixedRate', kind: 'mixed', connections: 32, fixedRate: true },
    ];
    result.scenarios = {};
    for (const sc of scenarios) {
      let overallRate;
      if (sc.fixedRate) {
        // Half the baseline's create-order capacity, offered as mixed traffic.
        overallRate = Math.max(10, Math.round(result.scenarios.createOrder.baseline.rps / 2));
      }
      const runs = { bulwark: [], baseline: [] };
      for (let round = 0; round < p.rounds; round += 1) {
        for (const which of ['bulwark', 'baseline']) {
          const load = { kind: sc.kind, connections: sc.connections, overallRate, fixtures };
          if (p.warmupS > 0) await runLoad(pair[which], { ...load, durationS: p.warmupS });
          const run = await runLoad(pair[which], { ...load, durationS: p.durationS });
          runs[which].push(run);
          log(`${sc.name} round ${round + 1} ${which}: ${run.rps} req/s, p95 ${run.latencyMs.p95} ms, non-2xx ${run.non2xx}, errors ${run.errors + run.timeouts}`);
        }
      }
      const summary = { bulwark: report.summarise(runs.bulwark), baseline: report.summarise(runs.baseline) };
      result.scenarios[sc.name] = {
        kind: sc.kind,
        connections: sc.connections,
        overallRate: overallRate || null,
        ...summary,
        ratio: report.ratio(summary.bulwark.rps, summary.baseline.rps),
        // Per A/B pair: drift between rounds cancels within a pair; their spread shows the noise.
        roundRatios: runs.bulwark.map((run, i) => report.ratio(run.rps, runs.baseline[i].rps)),
        runs,
      };
    }

    // 5. Login alone (Bulwark only: argon2id is slow on purpose).
    {
      const load = { kind: 'login', connections: 8, fixtures };
      if (p.warmupS > 0) await runLoad(bulwark, { ...load, durationS: p.warmupS });
      const run = await runLoad(bulwark, { ...load, durationS: p.loginDurationS });
      log(`login: ${run.rps} req/s, p95 ${run.latencyMs.p95} ms`);
      result.scenarios.login = { kind: 'login', connections: 8, overallRate: null, bulwark: report.summarise([run]), baseline: null, ratio: null, runs: { bulwark: [run], baseline: [] } };
    }

    // 6. /metrics after 1,000 distinct paths (ids are not labels: the series count must stay small).
    {
      const headers = { authorization: `Bearer ${fixtures.users[0].token}` };
      const paths = [];
      for (let i = 0; i < 500; i += 1) paths.push(`/v1/products/${require('node:crypto').randomUUID()}`);
      for (let i = 0; i < 500; i += 1) paths.push(`/bench/no-such-route/${i}`);
      for (let i = 0; i < paths.length; i += 20) {
        await Promise.all(paths.slice(i, i + 20).map((path) => fetch(bulwark.url + path, { headers }).then((r) => r.arrayBuffer())));
      }
      const times = [];
      let text = '';
      for (let i = 0; i < 7; i += 1) {
        const t0 = process.hrtime.bigint();
        const res = await fetch(`${bulwark.url}/metrics`);
        text = await res.text();
        times.push(Number(process.hrtime.bigint() - t0) / 1e6);
      }
      const series = text.split('\n').filter((l) => l && !l.startsWith('#')).length;
      result.metricsScrape = { distinctPaths: paths.length, runsMs: times.map((t) => report.round(t, 2)), medianMs: report.round(report.median(times), 2), bytes: text.length, series };
    }

    // 7a. Tracing on beside off (docs/tracing.md): the same build, a second instance exporting every
    // span over OTLP/HTTP to a sink in this process, mixed traffic, alternating rounds.
    if (!options.skipTracing) {
      const sink = await startSpanSink();
      const traced = await startBulwark('bulwark-traced', urls.bulwark, { OTEL_EXPORTER_OTLP_ENDPOINT: sink.url, OTEL_SERVICE_NAME: 'bulwark-bench' });
      const tracedRssAtReady = memoryOf(traced.pid).rss;
      const runs = { off: [], on: [] };
      try {
        for (let round = 0; round < p.rounds; round += 1) {
          for (const [which, server] of [['off', bulwark], ['on', traced]]) {
            const load = { kind: 'mixed', connections: 32, fixtures };
            if (p.warmupS > 0) await runLoad(server, { ...load, durationS: p.warmupS });
            const run = await runLoad(server, { ...load, durationS: p.durationS });
            runs[which].push(run);
            log(`tracing ${which} round ${round + 1}: ${run.rps} req/s, ${run.cpuUsPerRequest} CPU µs/req, p95 ${run.latencyMs.p95} ms`);
          }
        }
        const off = report.summarise(runs.off);
        const on = report.summarise(runs.on);
        result.tracing = {
          scenario: 'mixed',
          connections: 32,
          off,
          on,
          cpuRatio: report.ratio(on.cpuUsPerRequest, off.cpuUsPerRequest),
          rpsRatio: report.ratio(on.rps, off.rps),
          spansReceived: sink.spans(),
          tracedRssAtReadyMb: report.mb(tracedRssAtReady),
          tracedPeakRssMb: report.mb(memoryOf(traced.pid).hwm),
          runs,
        };
        log(report.tracingLine(result.tracing));
      } finally {
        await traced.stop();
        await sink.close();
      }
    }

    // 7. The soak (Bulwark only): memory that must stay put under steady traffic.
    if (p.soakMinutes > 0) {
      const overallRate = result.scenarios.mixedFixedRate.overallRate;
      const sampling = soakSampling(p.soakMinutes);
      log(`soak: ${p.soakMinutes} min of mixed traffic at ${overallRate} req/s, sampling every ${sampling.sampleEveryS} s`);
      result.soak = await runSoak(bulwark, { minutes: p.soakMinutes, overallRate, fixtures, ...sampling });
      log(report.soakLine(result.soak));
    }

    result.bulwarkPeakRssMb = report.mb(memoryOf(bulwark.pid).hwm);
    result.baselinePeakRssMb = report.mb(memoryOf(baseline.pid).hwm);
    result.ratios = {
      createOrder: result.scenarios.createOrder.ratio,
      productRead: result.scenarios.productRead.ratio,
      orderRead: result.scenarios.orderRead.ratio,
      mixed: result.scenarios.mixed32.ratio,
    };
    result.cpuRatios = Object.fromEntries(
      ['productRead', 'orderRead', 'createOrder', 'mixed32', 'mixed128', 'mixedFixedRate'].map((k) => [
        k,
        report.ratio(result.scenarios[k].bulwark.cpuUsPerRequest, result.scenarios[k].baseline.cpuUsPerRequest),
      ]),
    );
    result.machine.loadAverageAtEnd = os.loadavg().map((x) => Math.round(x * 100) / 100);
    result.targets = report.evaluateTargets(result);

    const text = report.terminalTable(result);
    process.stdout.write(`\n${text}\n`);
    const stampName = result.date.replace(/[:.]/g, '-');
    if (result.soak) {
      const svg = soakSvg(result.soak);
      writeFileSync(join(outDir, `${stampName}-soak.svg`), svg);
      writeFileSync(join(outDir, 'latest-soak.svg'), svg);
      result.soak.chart = 'latest-soak.svg';
    }
    const file = join(outDir, `${stampName}.json`);
    writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
    writeFileSync(join(outDir, 'latest.json'), `${JSON.stringify(result, null, 2)}\n`);
    writeFileSync(join(outDir, 'latest.md'), `${report.markdownTable(result)}\n`);
    log(`wrote ${file}, latest.json and latest.md`);
    return result;
  } finally {
    for (const s of servers) await s.stop().catch(() => undefined);
    if (db.kind === 'DATABASE_URL') {
      await withClient(db.url, async (c) => {
        for (const n of Object.values(names)) await c.query(`DROP DATABASE IF EXISTS "${n}" WITH (FORCE)`).catch(() => undefined);
      }).catch(() => undefined);
    }
    await db.stop().catch(() => undefined);
    if (!options.keepLogs) rmSync(workDir, { recursive: true, force: true });
  }
}

function build() {
  log('building the production bundle (npm run build:service)');
  execFileSync('npm', ['run', '-s', 'build:service'], { cwd: ROOT, stdio: 'inherit' });
}

module.exports = { main, build, plan };
