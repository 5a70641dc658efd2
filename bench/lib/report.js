'use strict';
/** Summaries, ratios, targets, the terminal table and the Markdown table of a bench run. */
const { CPU_SPLIT_KEYS } = require('./processes');

const mean = (xs) => (xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length);
const round = (x, d = 1) => (x === null || x === undefined ? null : Math.round(x * 10 ** d) / 10 ** d);
const median = (xs) => {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const mb = (bytes) => round(bytes / (1024 * 1024), 1);

/** One server's runs of a scenario → mean requests/s and latency percentiles, summed failures, peak RSS. */
function summarise(runs) {
  const lat = (k) => round(mean(runs.map((r) => r.latencyMs[k]).filter((v) => v !== null)), 2);
  return {
    rps: round(mean(runs.map((r) => r.rps))),
    latencyMs: { p50: lat('p50'), p95: lat('p95'), p97_5: lat('p97_5'), p99: lat('p99') },
    requests: runs.reduce((a, r) => a + r.requests, 0),
    non2xx: runs.reduce((a, r) => a + r.non2xx, 0),
    errors: runs.reduce((a, r) => a + r.errors + r.timeouts, 0),
    peakRssMb: mb(Math.max(...runs.map((r) => r.peakRssBytes))),
    // Total server CPU over total answered requests, across the rounds.
    cpuUsPerRequest: cpuPerRequest(runs),
    // The same, by where it ran (main thread user and system, V8's worker threads, other threads).
    cpuSplitUsPerRequest: cpuSplitPerRequest(runs),
  };
}

/** `value(run)` summed over the runs that measured it, per request they answered; null if none did. */
function perRequest(runs, value) {
  const measured = runs.filter((r) => value(r) !== null && value(r) !== undefined);
  const requests = measured.reduce((a, r) => a + r.requests, 0);
  return requests === 0 ? null : round(measured.reduce((a, r) => a + value(r), 0) / requests);
}

const cpuPerRequest = (runs) => perRequest(runs, (r) => r.cpuUs);

function cpuSplitPerRequest(runs) {
  if (!runs.some((r) => r.cpuSplitUs)) return null;
  return Object.fromEntries(CPU_SPLIT_KEYS.map((k) => [k, perRequest(runs, (r) => r.cpuSplitUs && r.cpuSplitUs[k])]));
}

const ratio = (a, b) => (a && b ? round(a / b, 2) : null);

/** The targets of docs/performance.md, each with the figure measured. */
function evaluateTargets(result) {
  const r = result.ratios;
  const fixed = result.scenarios.mixedFixedRate;
  const atLeast = (name, value, goal) => ({ name, target: `>= ${goal.toFixed(2)}`, value, met: value !== null && value !== undefined && value >= goal });
  const t = [
    atLeast('createOrder ratio', r.createOrder, 0.8),
    atLeast('productRead ratio', r.productRead, 0.7),
    atLeast('orderRead ratio', r.orderRead, 0.7),
    atLeast('mixed (32 c) ratio', r.mixed, 0.8),
  ];
  if (fixed) {
    const b = fixed.bulwark.latencyMs;
    const base = fixed.baseline.latencyMs;
    const times = (x, y) => (x !== null && y ? round(x / y, 2) : null);
    const p95 = times(b.p95, base.p95);
    const p99 = times(b.p99, base.p99);
    t.push({ name: 'mixed @ fixed rate p95 ÷ baseline p95', target: '<= 1.3', value: p95, met: p95 !== null && p95 <= 1.3 });
    t.push({ name: 'mixed @ fixed rate p99 ÷ baseline p99', target: '<= 1.5', value: p99, met: p99 !== null && p99 <= 1.5 });
    const failed = fixed.bulwark.non2xx + fixed.bulwark.errors;
    t.push({ name: 'mixed @ fixed rate non-2xx + errors', target: '0', value: failed, met: failed === 0 });
  }
  t.push({ name: 'Bulwark RSS at ready (MB)', target: '<= 120', value: result.bulwarkRssAtReadyMb, met: result.bulwarkRssAtReadyMb <= 120 });
  t.push({ name: 'Bulwark peak RSS (MB)', target: '<= 200', value: result.bulwarkPeakRssMb, met: result.bulwarkPeakRssMb <= 200 });
  if (result.soak) {
    const s = result.soak;
    t.push({ name: 'soak: heap used floor growth after warm-up (%)', target: '<= 10', value: s.heapGrowthPct, met: s.heapGrowthPct !== null && s.heapGrowthPct <= 10 });
    t.push({ name: 'soak: RSS growth after warm-up (%)', target: '<= 10', value: s.rssGrowthPct, met: s.rssGrowthPct !== null && s.rssGrowthPct <= 10 });
    t.push({ name: 'soak: non-2xx + errors', target: '0', value: s.non2xx + s.errors, met: s.non2xx + s.errors === 0 });
  }
  t.push({ name: 'cold start (ms)', target: '< 1500', value: result.coldStartMs.median, met: result.coldStartMs.median < 1500 });
  t.push({ name: '/metrics scrape (ms)', target: '< 20', value: result.metricsScrape.medianMs, met: result.metricsScrape.medianMs < 20 });
  return t;
}

const SCENARIO_LABELS = {
  productRead: 'GET /v1/products/:id',
  orderRead: 'GET /v1/orders/:id',
  createOrder: 'POST /v1/orders',
  mixed32: 'mixed 80/20',
  mixed128: 'mixed 80/20',
  mixedFixedRate: 'mixed 80/20 @ fixed rate',
  login: 'POST /v1/auth/login',
};

function rows(result) {
  const out = [];
  for (const [name, s] of Object.entries(result.scenarios)) {
    const label = `${SCENARIO_LABELS[name] || name} (${s.connections} c${s.overallRate ? `, ${s.overallRate} req/s offered` : ''})`;
    for (const server of ['bulwark', 'baseline']) {
      const x = s[server];
      if (!x) continue;
      out.push([
        server === 'bulwark' ? label : '',
        server,
        String(x.rps),
        String(x.latencyMs.p50),
        String(x.latencyMs.p95),
        String(x.latencyMs.p99),
        String(x.non2xx),
        String(x.errors),
        String(x.peakRssMb),
        String(x.cpuUsPerRequest),
        server === 'bulwark' && s.ratio !== undefined && s.ratio !== null ? `${s.ratio}×${s.roundRatios && s.roundRatios.length > 1 ? ` (${s.roundRatios.join(', ')})` : ''}` : '',
      ]);
    }
  }
  return out;
}

const SPLIT_HEAD = ['scenario', 'server', 'main thread, user', 'main thread, system', 'V8 worker threads', 'other threads', 'CPU µs/req'];

/** CPU µs per request by where it ran (processes.js, cpuSplitOf), per scenario and server. */
function splitRows(result) {
  const out = [];
  for (const [name, s] of Object.entries(result.scenarios)) {
    for (const server of ['bulwark', 'baseline']) {
      const x = s[server];
      if (!x || !x.cpuSplitUsPerRequest) continue;
      out.push([
        server === 'bulwark' ? `${SCENARIO_LABELS[name] || name} (${s.connections} c${s.overallRate ? ', fixed rate' : ''})` : '',
        server,
        ...CPU_SPLIT_KEYS.map((k) => String(x.cpuSplitUsPerRequest[k])),
        String(x.cpuUsPerRequest),
      ]);
    }
  }
  return out;
}

const HEAD = ['scenario', 'server', 'req/s', 'p50 ms', 'p95 ms', 'p99 ms', 'non-2xx', 'errors', 'peak RSS MB', 'CPU µs/req', 'Bulwark ÷ baseline'];

/** A table padded for the terminal: the first two columns to the left, figures to the right. */
function padded(head, body) {
  const all = [head, ...body];
  const widths = head.map((_, i) => Math.max(...all.map((r) => r[i].length)));
  const line = (r) => r.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)];
}

/** The same table in Markdown. */
function markdown(head, body) {
  return [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i < 2 ? '---' : '---:')).join('|')}|`, ...body.map((r) => `| ${r.join(' | ')} |`)];
}

function terminalTable(result) {
  const lines = padded(HEAD, rows(result));
  lines.push('', 'server CPU µs per request by where it ran:', ...padded(SPLIT_HEAD, splitRows(result)));
  lines.push('');
  lines.push(`cold start (spawn → /health/ready 200): median ${result.coldStartMs.median} ms of ${JSON.stringify(result.coldStartMs.runs)}`);
  lines.push(`RSS when ready, before traffic: Bulwark ${result.bulwarkRssAtReadyMb} MB, baseline ${result.baselineRssAtReadyMb} MB; peak (VmHWM, login included): Bulwark ${result.bulwarkPeakRssMb} MB, baseline ${result.baselinePeakRssMb} MB`);
  lines.push(`server CPU µs per request, Bulwark ÷ baseline: ${JSON.stringify(result.cpuRatios)}`);
  if (result.tracing) lines.push(tracingLine(result.tracing));
  if (result.soak) lines.push(soakLine(result.soak));
  lines.push(`/metrics after ${result.metricsScrape.distinctPaths} distinct paths: median ${result.metricsScrape.medianMs} ms, ${result.metricsScrape.bytes} bytes, ${result.metricsScrape.series} series`);
  lines.push(`ratios (Bulwark ÷ baseline req/s): ${JSON.stringify(result.ratios)}`);
  lines.push(`statements identical per route: ${JSON.stringify(Object.fromEntries(Object.entries(result.statementCheck).map(([k, v]) => [k, v.same])))}`);
  for (const t of result.targets) lines.push(`${t.met ? 'MET   ' : 'MISSED'} ${t.name}: ${t.value} (target ${t.target})`);
  return lines.join('\n');
}

function markdownTable(result) {
  const m = result.machine;
  const lines = [
    `Measured ${result.date} on ${m.cpus} × ${m.cpuModel}, ${mb(m.memoryBytes)} MB RAM, ${m.os}; Node ${m.node}, PostgreSQL ${result.versions.postgres} (${result.database}); ` +
      `${result.settings.rounds} A/B rounds of ${result.settings.durationS} s after ${result.settings.warmupS} s warm-up; ` +
      `load average ${m.loadAverageAtStart ? m.loadAverageAtStart[0] : '?'} at start, ${m.loadAverageAtEnd ? m.loadAverageAtEnd[0] : '?'} at end.`,
    '',
    ...markdown(HEAD, rows(result)),
    '',
    'Server CPU µs per request by where it ran (each thread\'s user and system time from `/proc/<pid>/task/<tid>/stat`; ' +
      'main thread user: JavaScript, V8\'s runtime and its main-thread garbage collection; system: system calls and page faults; ' +
      'V8 worker threads: background garbage collection and compilation; other threads: libuv\'s pool):',
    '',
    ...markdown(SPLIT_HEAD, splitRows(result)),
    '',
    `Cold start (spawn → \`/health/ready\` 200, database already migrated): **${result.coldStartMs.median} ms** (median of ${result.coldStartMs.runs.length}). ` +
      `\`/metrics\` after ${result.metricsScrape.distinctPaths} distinct paths: **${result.metricsScrape.medianMs} ms** (${result.metricsScrape.series} series). ` +
      `RSS when ready: Bulwark ${result.bulwarkRssAtReadyMb} MB, baseline ${result.baselineRssAtReadyMb} MB; peak (login included): Bulwark ${result.bulwarkPeakRssMb} MB, baseline ${result.baselinePeakRssMb} MB. ` +
      `Server CPU µs per request, Bulwark ÷ baseline: ${Object.entries(result.cpuRatios || {}).map(([k, v]) => `${k} ${v}×`).join(', ')}.`,
    ...(result.tracing ? ['', tracingLine(result.tracing)] : []),
    ...(result.soak ? ['', `${soakLine(result.soak)} Chart: [${result.soak.chart}](${result.soak.chart}).`] : []),
    '',
    '| target | goal | measured | |',
    '|---|---|---:|---|',
    ...result.targets.map((t) => `| ${t.name} | ${t.target} | ${t.value} | ${t.met ? 'met' : '**missed**'} |`),
  ];
  return lines.join('\n');
}

function tracingLine(t) {
  return (
    `tracing (${t.scenario}, ${t.connections} c): off ${t.off.rps} req/s, ${t.off.cpuUsPerRequest} CPU µs/req, p95 ${t.off.latencyMs.p95} ms; ` +
    `on ${t.on.rps} req/s, ${t.on.cpuUsPerRequest} CPU µs/req, p95 ${t.on.latencyMs.p95} ms (${t.spansReceived} spans exported); CPU on ÷ off ${t.cpuRatio}×`
  );
}

function soakLine(s) {
  return (
    `soak ${s.minutes} min of mixed traffic at ${s.overallRate} req/s: ${s.requests} requests, non-2xx ${s.non2xx}, errors ${s.errors}; ` +
    `after ${s.warmupS} s warm-up heap used after collections (floor of each half) ${s.heapStartMb} → ${s.heapEndMb} MB (${s.heapGrowthPct} %), RSS ${s.rssStartMb} → ${s.rssEndMb} MB (${s.rssGrowthPct} %)`
  );
}

module.exports = {
  tracingLine,
  soakLine,
  cpuPerRequest, summarise, ratio, evaluateTargets, terminalTable, markdownTable, median, mean, round, mb };
