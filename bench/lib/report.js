'use strict';
/** Summaries, ratios, targets, the terminal table and the Markdown table of a bench run. */

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
  };
}

const ratio = (a, b) => (a && b ? round(a / b, 2) : null);

function evaluateTargets(result) {
  const r = result.ratios;
  const fixed = result.scenarios.mixedFixedRate && result.scenarios.mixedFixedRate.bulwark;
  const t = [
    { name: 'createOrder ratio', target: '>= 0.80', value: r.createOrder, met: r.createOrder !== null && r.createOrder >= 0.8 },
    { name: 'productRead ratio', target: '>= 0.60', value: r.productRead, met: r.productRead !== null && r.productRead >= 0.6 },
    { name: 'orderRead ratio', target: '>= 0.60', value: r.orderRead, met: r.orderRead !== null && r.orderRead >= 0.6 },
  ];
  if (fixed) {
    t.push({ name: 'mixed @ fixed rate p95 (ms)', target: '< 25', value: fixed.latencyMs.p95, met: fixed.latencyMs.p95 < 25 });
    t.push({ name: 'mixed @ fixed rate p99 (ms)', target: '< 50', value: fixed.latencyMs.p99, met: fixed.latencyMs.p99 < 50 });
    t.push({ name: 'mixed @ fixed rate non-2xx', target: '0', value: fixed.non2xx + fixed.errors, met: fixed.non2xx + fixed.errors === 0 });
  }
  t.push({ name: 'Bulwark peak RSS (MB)', target: '< 180', value: result.bulwarkPeakRssMb, met: result.bulwarkPeakRssMb < 180 });
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
        server === 'bulwark' && s.ratio !== undefined && s.ratio !== null ? `${s.ratio}×${s.roundRatios && s.roundRatios.length > 1 ? ` (${s.roundRatios.join(', ')})` : ''}` : '',
      ]);
    }
  }
  return out;
}

const HEAD = ['scenario', 'server', 'req/s', 'p50 ms', 'p95 ms', 'p99 ms', 'non-2xx', 'errors', 'peak RSS MB', 'Bulwark ÷ baseline'];

function terminalTable(result) {
  const all = [HEAD, ...rows(result)];
  const widths = HEAD.map((_, i) => Math.max(...all.map((r) => r[i].length)));
  const line = (r) => r.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  const lines = [line(HEAD), widths.map((w) => '-'.repeat(w)).join('  '), ...rows(result).map(line)];
  lines.push('');
  lines.push(`cold start (spawn → /health/ready 200): median ${result.coldStartMs.median} ms of ${JSON.stringify(result.coldStartMs.runs)}`);
  lines.push(`Bulwark RSS when ready, before traffic: ${result.bulwarkRssAtReadyMb} MB; peak (VmHWM, login included): ${result.bulwarkPeakRssMb} MB; baseline peak ${result.baselinePeakRssMb} MB`);
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
    `| ${HEAD.join(' | ')} |`,
    `|${HEAD.map((_, i) => (i < 2 ? '---' : '---:')).join('|')}|`,
    ...rows(result).map((r) => `| ${r.join(' | ')} |`),
    '',
    `Cold start (spawn → \`/health/ready\` 200, database already migrated): **${result.coldStartMs.median} ms** (median of ${result.coldStartMs.runs.length}). ` +
      `\`/metrics\` after ${result.metricsScrape.distinctPaths} distinct paths: **${result.metricsScrape.medianMs} ms** (${result.metricsScrape.series} series). ` +
      `Bulwark RSS: ${result.bulwarkRssAtReadyMb} MB when ready, ${result.bulwarkPeakRssMb} MB peak (login included); baseline peak ${result.baselinePeakRssMb} MB.`,
    '',
    '| target | goal | measured | |',
    '|---|---|---:|---|',
    ...result.targets.map((t) => `| ${t.name} | ${t.target} | ${t.value} | ${t.met ? 'met' : '**missed**'} |`),
  ];
  return lines.join('\n');
}

module.exports = { summarise, ratio, evaluateTargets, terminalTable, markdownTable, median, mean, round, mb };
