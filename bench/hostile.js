#!/usr/bin/env node
'use strict';
/**
 * `npm run bench:hostile [-- options]`: what the worst request bodies of issue 14 (finding 1) cost the
 * process that refuses them. The built application runs in this process (`createApp` of dist/, as
 * main.ts builds it) on a fresh database; each body is sent through Fastify's `inject`, one at a
 * time, and measured by the main thread's CPU time (`process.threadCpuUsage`: the time the event loop
 * was blocked by it, whatever else the machine runs) and by the size of its answer. Targets: at most
 * 20 ms of CPU and 16 kB of answer for any body under the 100 KiB limit. docs/performance.md.
 *
 *   --repeat <n>   measured sends of each body (default 30; --quick: 5), after 3 unmeasured ones
 *   --quick        few repetitions (what the test suite runs)
 *   --no-build     use the existing bundle (BULWARK_DIST_DIR, default dist/)
 *   --out <dir>    results folder (default bench/results): hostile-latest.json and .md
 *   DATABASE_URL   a PostgreSQL server where the role may CREATE DATABASE (default: embedded)
 */
const { execFileSync } = require('node:child_process');
const { randomBytes } = require('node:crypto');
const { mkdirSync, mkdtempSync, rmSync, writeFileSync } = require('node:fs');
const os = require('node:os');
const { join, resolve } = require('node:path');
const { Client } = require('pg');

const ROOT = resolve(__dirname, '..');
const LIMIT = 100 * 1024;
const TARGETS = { cpuMs: 20, answerBytes: 16 * 1024 };
const log = (message) => process.stderr.write(`[bench:hostile] ${message}\n`);

function parse(argv) {
  const options = { repeat: undefined, quick: false, build: true, outDir: join(__dirname, 'results') };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg === '--quick') options.quick = true;
    else if (arg === '--no-build') options.build = false;
    else if (arg === '--repeat') options.repeat = Number(argv[++i]);
    else if (arg === '--out') options.outDir = resolve(argv[++i]);
    else throw new Error(`unknown option ${arg}`);
  }
  options.repeat ??= options.quick ? 5 : 30;
  if (!Number.isInteger(options.repeat) || options.repeat < 1) throw new Error('--repeat needs a whole number ≥ 1');
  return options;
}

/** The bodies: the inputs of the finding, each just under the limit. */
function bodies() {
  const keys = [];
  for (let i = 0, size = 2; size < LIMIT - 20; i += 1) {
    const entry = `"${i.toString(36)}":0`;
    keys.push(entry);
    size += entry.length + 1;
  }
  const manyKeys = `{${keys.join(',')}}`;
  const items = `{"items":[${Array.from({ length: Math.floor((LIMIT - 20) / 3) }, () => '{}').join(',')}]}`;
  const deep = '['.repeat(10_000) + ']'.repeat(10_000);
  const itemKeys = Array.from({ length: 50 }, (_, n) => `{${keys.slice(n * 19, n * 19 + 18).join(',')}}`);
  const someKeys = `{${keys.slice(0, 999).join(',')}}`;
  // Under the parse limits (32 levels, 1,000 values): what validation itself costs.
  const under = [
    { name: 'POST /v1/orders, 999 empty items', url: '/v1/orders', auth: true, text: `{"items":[${Array(999).fill('{}').join(',')}]}` },
    { name: 'POST /v1/orders, 50 items of 18 unknown keys', url: '/v1/orders', auth: true, text: `{"items":[${itemKeys.join(',')}]}` },
    { name: 'POST /v1/auth/login, 999 unknown keys', url: '/v1/auth/login', auth: false, text: someKeys },
    { name: 'POST /v1/orders/:id/cancel (no DTO, fingerprinted), 999 keys', url: '/v1/orders/00000000-0000-4000-8000-000000000000/cancel', auth: true, headers: { 'idempotency-key': 'bench-1' }, text: someKeys },
    { name: 'PATCH /v1/users/me, a name 31 levels deep', url: '/v1/users/me', method: 'PATCH', auth: true, text: `{"name":${'['.repeat(31)}${']'.repeat(31)}}` },
  ];
  return [
    ...under,
    { name: 'POST /v1/orders, ~34,000 empty items', url: '/v1/orders', auth: true, text: items },
    { name: 'POST /v1/orders, items nested 3,000 deep', url: '/v1/orders', auth: true, text: `{"items":${'['.repeat(3000)}${']'.repeat(3000)}}` },
    { name: `POST /v1/auth/login, ${keys.length} unknown keys`, url: '/v1/auth/login', auth: false, text: manyKeys },
    { name: `POST /v1/auth/register, ${keys.length} unknown keys`, url: '/v1/auth/register', auth: false, text: manyKeys },
    { name: 'POST /v1/auth/refresh, 10,000 levels of [', url: '/v1/auth/refresh', auth: false, text: deep },
    { name: 'POST /v1/auth/register, a 100 kB name', url: '/v1/auth/register', auth: false, text: JSON.stringify({ email: 'a@example.com', password: 'long enough', name: 'x'.repeat(LIMIT - 100) }) },
  ];
}

async function serverUrl(distDir, workDir) {
  if (process.env.DATABASE_URL) return { url: process.env.DATABASE_URL, stop: async () => undefined };
  const { startEmbeddedPostgres } = require(join(distDir, 'database', 'embedded.js'));
  const dir = join(workDir, 'pg');
  mkdirSync(dir, { recursive: true });
  const embedded = await startEmbeddedPostgres(dir, randomBytes(12).toString('hex'), require('pino')({ level: 'warn' }), 'bench_admin');
  return { url: embedded.adminUrl, stop: () => embedded.stop() };
}

async function admin(url, sql) {
  const client = new Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

const round = (x) => Math.round(x * 100) / 100;

/**
 * The main thread's CPU time per send, over `repeat` sends in a row: the thread's CPU clock ticks
 * in steps of a few milliseconds on Linux (getrusage), so single sends are not timed one by one.
 */
async function measure(app, body, headers, repeat) {
  const fastify = app.getHttpAdapter().getInstance();
  const send = () =>
    fastify.inject({
      method: body.method ?? 'POST',
      url: body.url,
      headers: { 'content-type': 'application/json', ...(body.auth ? headers : {}), ...body.headers },
      payload: body.text,
    });
  for (let i = 0; i < 3; i += 1) await send();
  const before = process.threadCpuUsage();
  let answer;
  for (let i = 0; i < repeat; i += 1) answer = await send();
  const used = process.threadCpuUsage(before);
  const cpuMs = (used.user + used.system) / 1000 / repeat;
  const bytes = Buffer.byteLength(answer.body);
  return {
    body: body.name,
    bodyBytes: Buffer.byteLength(body.text),
    status: answer.statusCode,
    code: JSON.parse(answer.body).code,
    answerBytes: bytes,
    cpuMs: round(cpuMs),
    met: cpuMs <= TARGETS.cpuMs && bytes <= TARGETS.answerBytes,
  };
}

function markdown(result) {
  const lines = [
    '# Hostile bodies: what refusing each costs (`npm run bench:hostile`)',
    '',
    `${result.at}, ${result.machine.cpus} × ${result.machine.cpuModel}, Node ${result.machine.node}, load average at start ${result.machine.loadAverageAtStart.join(' / ')}; ${result.repeat} measured sends per body.`,
    `Targets: main-thread CPU ≤ ${TARGETS.cpuMs} ms per body (mean of the sends), answer ≤ ${TARGETS.answerBytes} bytes.`,
    '',
    '| body | bytes | answer | CPU ms per body | answer bytes | met |',
    '| --- | ---: | --- | ---: | ---: | --- |',
    ...result.bodies.map((b) => `| ${b.body} | ${b.bodyBytes} | ${b.status} ${b.code} | ${b.cpuMs} | ${b.answerBytes} | ${b.met ? 'yes' : 'no'} |`),
    '',
  ];
  return lines.join('\n');
}

async function main() {
  const options = parse(process.argv.slice(2));
  if (options.build) execFileSync('npx', ['nest', 'build'], { cwd: ROOT, stdio: 'inherit' });
  const distDir = process.env.BULWARK_DIST_DIR || join(ROOT, 'dist');
  const workDir = mkdtempSync(join(os.tmpdir(), 'bench-hostile-'));
  const server = await serverUrl(distDir, workDir);
  const name = `bench_hostile_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  await admin(server.url, `CREATE DATABASE "${name}"`);
  const url = new URL(server.url);
  url.pathname = `/${name}`;
  const { createApp } = require(join(distDir, 'app.factory.js'));
  const { testConfig } = require(join(distDir, 'config', 'config.js'));
  const { Writable } = require('node:stream');
  const config = testConfig({
    databaseUrl: url.toString(),
    jwtSecret: randomBytes(32).toString('hex'),
    logLevel: 'warn',
    rateLimitPerMinute: 10_000_000,
    orderRateLimitPerMinute: 10_000_000,
    loginRateLimitPerMinute: 10_000_000,
  });
  const { app } = await createApp(config, { logDestination: new Writable({ write: (_c, _e, cb) => cb() }) });
  try {
    const fastify = app.getHttpAdapter().getInstance();
    const credentials = { email: `bench-${randomBytes(4).toString('hex')}@example.com`, password: 'bench-password-1', name: 'Bench' };
    await fastify.inject({ method: 'POST', url: '/v1/auth/register', payload: credentials });
    const login = await fastify.inject({ method: 'POST', url: '/v1/auth/login', payload: { email: credentials.email, password: credentials.password } });
    const headers = { authorization: `Bearer ${login.json().accessToken}` };
    const results = [];
    for (const body of bodies()) {
      const figures = await measure(app, body, headers, options.repeat);
      log(`${figures.body}: ${figures.status} ${figures.code}, CPU median ${figures.cpuMs.median} ms, max ${figures.cpuMs.max} ms, answer ${figures.answerBytes} B`);
      results.push(figures);
    }
    const cpus = os.cpus();
    const result = {
      at: new Date().toISOString(),
      quick: options.quick,
      repeat: options.repeat,
      machine: { cpus: cpus.length, cpuModel: cpus[0] ? cpus[0].model.trim() : 'unknown', node: process.versions.node, loadAverageAtStart: os.loadavg().map(round) },
      targets: TARGETS,
      bodies: results,
      allMet: results.every((b) => b.met),
    };
    mkdirSync(options.outDir, { recursive: true });
    writeFileSync(join(options.outDir, 'hostile-latest.json'), `${JSON.stringify(result, null, 2)}\n`);
    writeFileSync(join(options.outDir, 'hostile-latest.md'), markdown(result));
    process.stdout.write(markdown(result));
  } finally {
    await app.close();
    await admin(server.url, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await server.stop();
    rmSync(workDir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(`bench:hostile failed: ${error && error.stack ? error.stack : error}\n`);
    process.exit(1);
  },
);
