#!/usr/bin/env node
'use strict';
/**
 * `npm run bench [-- options]`: builds the production bundle, then measures Bulwark beside the bare
 * Fastify + pg baseline (bench/lib/bench.js, docs/performance.md).
 *
 *   --quick            a few seconds per scenario, one A/B round (the test suite's smoke run)
 *   --no-build         use the existing bundle (BULWARK_DIST_DIR, default dist/)
 *   --out <dir>        results folder (default bench/results)
 *   --duration <s>     measured seconds per run;  --warmup <s>  warm-up seconds;  --rounds <n>  A/B rounds
 *   --keep-logs        keep the servers' logs (their folder is printed)
 *   --bulwark-env K=V  extra environment for Bulwark (experiments, e.g. LOG_LEVEL=warn; recorded in the JSON)
 *   --soak <minutes>   the soak's length (default 10, --quick 0.25; 0 skips it): mixed traffic at half capacity,
 *                      heap used and RSS sampled, the chart written beside the JSON (latest-soak.svg)
 *   --no-tracing       skip the tracing-on-beside-off rounds (mixed traffic against a second Bulwark exporting spans)
 *   --cpu-prof <dir>   run the measured Bulwark under node --cpu-prof, profile written there at its exit
 *   DATABASE_URL       a PostgreSQL server to use (the bench creates and drops its own databases); default embedded
 */
const { join, resolve } = require('node:path');

function parse(argv) {
  const options = { quick: false, build: true, outDir: join(__dirname, 'results'), distDir: process.env.BULWARK_DIST_DIR || join(__dirname, '..', 'dist'), keepLogs: false };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value`);
      return v;
    };
    if (arg === '--quick') options.quick = true;
    else if (arg === '--no-build') options.build = false;
    else if (arg === '--out') options.outDir = resolve(value());
    else if (arg === '--dist') options.distDir = resolve(value());
    else if (arg === '--duration') options.durationS = Number(value());
    else if (arg === '--warmup') options.warmupS = Number(value());
    else if (arg === '--rounds') options.rounds = Number(value());
    else if (arg === '--soak') options.soakMinutes = Number(value());
    else if (arg === '--no-tracing') options.skipTracing = true;
    else if (arg === '--keep-logs') options.keepLogs = true;
    else if (arg === '--cpu-prof') options.cpuProf = resolve(value());
    else if (arg === '--bulwark-env') {
      const [k, ...v] = value().split('=');
      options.bulwarkEnv = { ...options.bulwarkEnv, [k]: v.join('=') };
    }
    else throw new Error(`unknown option ${arg}`);
  }
  return options;
}

async function run() {
  const options = parse(process.argv.slice(2));
  const bench = require('./lib/bench');
  if (options.build) {
    bench.build();
    options.distDir = join(__dirname, '..', 'dist');
  }
  await bench.main(options);
}

run().then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(`bench failed: ${error && error.stack ? error.stack : error}\n`);
    process.exit(1);
  },
);
