'use strict';
/**
 * The soak: Bulwark under mixed traffic at a fixed rate (half the baseline's create-order capacity)
 * for minutes, its heap used (`nodejs_heap_size_used_bytes` of its own /metrics) and RSS
 * (/proc/<pid>/status) sampled at a fixed interval. Growth is judged after a warm-up (JIT, pools,
 * caches filling). RSS: the median of the first minute after it against the median of the last
 * minute. Heap used is a saw-tooth whose period (one major collection to the next, one to three
 * minutes at half capacity) is longer than a minute, so windows of a minute compare whatever phases
 * of the tooth they happen to catch; what a leak raises is the floor the collections return to: the
 * lowest sample of the first half after the warm-up against the lowest of the second half.
 */
const { runLoad } = require('./load');
const { memoryOf } = require('./processes');
const { median, round, mb } = require('./report');

async function heapUsedBytes(server) {
  const res = await fetch(`${server.url}/metrics`);
  const text = await res.text();
  const line = text.split('\n').find((l) => l.startsWith('nodejs_heap_size_used_bytes'));
  return line ? Number(line.split(' ').pop()) : null;
}

const valuesOf = (samples, key, fromS, toS) =>
  samples.filter((s) => s.tS >= fromS && s.tS < toS && s[key] !== null).map((s) => s[key]);

function change(start, end, statistic) {
  if (start.length === 0 || end.length === 0) return { start: null, end: null, pct: null };
  const a = statistic(start);
  const b = statistic(end);
  return { start: a, end: b, pct: round(((b - a) / a) * 100, 1) };
}

/** Median of the first window after the warm-up against the median of the last window (RSS). */
function growth(samples, key, fromS, windowS, endS) {
  return change(valuesOf(samples, key, fromS, fromS + windowS), valuesOf(samples, key, endS - windowS, Infinity), median);
}

/** Lowest sample of the first half after the warm-up against the lowest of the second (heap used). */
function floorGrowth(samples, key, fromS, endS) {
  const midS = (fromS + endS) / 2;
  return change(valuesOf(samples, key, fromS, midS), valuesOf(samples, key, midS, Infinity), (xs) => Math.min(...xs));
}

/**
 * @param server   the running Bulwark ({url, pid})
 * @param options  {minutes, overallRate, fixtures, sampleEveryS, warmupS, windowS}
 */
async function runSoak(server, { minutes, overallRate, fixtures, sampleEveryS, warmupS, windowS }) {
  const durationS = Math.round(minutes * 60);
  const samples = [];
  const t0 = Date.now();
  const sample = async () => {
    const tS = round((Date.now() - t0) / 1000, 1);
    const heap = await heapUsedBytes(server).catch(() => null);
    samples.push({ tS, heapUsedBytes: heap, rssBytes: memoryOf(server.pid).rss });
  };
  await sample();
  const timer = setInterval(() => void sample(), sampleEveryS * 1000);
  let run;
  try {
    run = await runLoad(server, { kind: 'mixed', connections: 32, durationS, overallRate, fixtures });
  } finally {
    clearInterval(timer);
  }
  await sample();
  const heap = floorGrowth(samples, 'heapUsedBytes', warmupS, durationS);
  const rss = growth(samples, 'rssBytes', warmupS, windowS, durationS);
  return {
    minutes,
    overallRate,
    sampleEveryS,
    warmupS,
    windowS,
    heapJudgedBy: 'floor: lowest sample of each half after the warm-up',
    rssJudgedBy: 'median of the first and of the last window after the warm-up',
    requests: run.requests,
    rps: run.rps,
    latencyMs: run.latencyMs,
    non2xx: run.non2xx,
    errors: run.errors + run.timeouts,
    cpuUsPerRequest: run.cpuUsPerRequest,
    heapStartMb: heap.start === null ? null : mb(heap.start),
    heapEndMb: heap.end === null ? null : mb(heap.end),
    heapGrowthPct: heap.pct,
    rssStartMb: rss.start === null ? null : mb(rss.start),
    rssEndMb: rss.end === null ? null : mb(rss.end),
    rssGrowthPct: rss.pct,
    samples: samples.map((s) => ({ tS: s.tS, heapUsedMb: s.heapUsedBytes === null ? null : mb(s.heapUsedBytes), rssMb: mb(s.rssBytes) })),
  };
}

/** A self-contained SVG line chart of the soak's samples (heap used and RSS, MB, against seconds). */
function soakSvg(soak) {
  const W = 720;
  const H = 320;
  const m = { left: 56, right: 16, top: 36, bottom: 40 };
  const pts = soak.samples;
  const maxT = Math.max(1, ...pts.map((p) => p.tS));
  const maxY = Math.max(1, ...pts.flatMap((p) => [p.rssMb || 0, p.heapUsedMb || 0])) * 1.1;
  const x = (t) => m.left + (t / maxT) * (W - m.left - m.right);
  const y = (v) => H - m.bottom - (v / maxY) * (H - m.top - m.bottom);
  const line = (key, colour) =>
    `<polyline fill="none" stroke="${colour}" stroke-width="2" points="${pts
      .filter((p) => p[key] !== null)
      .map((p) => `${x(p.tS).toFixed(1)},${y(p[key]).toFixed(1)}`)
      .join(' ')}"/>`;
  const ticks = [];
  for (let i = 0; i <= 4; i += 1) {
    const v = (maxY / 4) * i;
    ticks.push(`<line x1="${m.left}" x2="${W - m.right}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#ddd"/>`);
    ticks.push(`<text x="${m.left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end" font-size="11">${Math.round(v)}</text>`);
    const t = (maxT / 4) * i;
    ticks.push(`<text x="${x(t).toFixed(1)}" y="${H - m.bottom + 16}" text-anchor="middle" font-size="11">${Math.round(t)} s</text>`);
  }
  const warm = x(Math.min(soak.warmupS, maxT)).toFixed(1);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${m.left}" y="20" font-size="13">Bulwark soak: ${soak.minutes} min mixed at ${soak.overallRate} req/s — RSS ${soak.rssGrowthPct} %, heap used ${soak.heapGrowthPct} % after warm-up</text>`,
    ...ticks,
    `<line x1="${warm}" x2="${warm}" y1="${m.top}" y2="${H - m.bottom}" stroke="#999" stroke-dasharray="4 3"/>`,
    `<text x="${Number(warm) + 4}" y="${m.top + 12}" font-size="11" fill="#666">warm-up ends</text>`,
    line('rssMb', '#c0392b'),
    line('heapUsedMb', '#2471a3'),
    `<text x="${W - m.right - 150}" y="${m.top + 12}" font-size="11" fill="#c0392b">RSS (MB)</text>`,
    `<text x="${W - m.right - 150}" y="${m.top + 26}" font-size="11" fill="#2471a3">heap used (MB)</text>`,
    `<text x="12" y="${H / 2}" font-size="11" transform="rotate(-90 12 ${H / 2})" text-anchor="middle">MB</text>`,
    '</svg>',
    '',
  ].join('\n');
}

module.exports = { runSoak, soakSvg };
