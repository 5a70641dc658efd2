import type { ReportModel, ReportRound, VerdictKind } from './model';

// The report page of `run --report FILE`: one self-contained HTML file (inline CSS and SVG, no
// script, no image, no font, nothing fetched — its Content-Security-Policy forbids every request).
// Pure: the model in, the page out.

export function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );
}

const VERDICT_TITLE: Record<VerdictKind, string> = {
  promoted: 'PROMOTED',
  'rolled-back': 'ROLLED BACK',
  aborted: 'ABORTED',
  error: 'ERROR',
  unfinished: 'UNFINISHED',
};

const DECISION_COLOUR: Record<string, string> = { advance: '#1a7f37', wait: '#9a6700', rollback: '#cf222e' };

const pct = (v: number | null): string =>
  v === null ? '–' : `${Number((v * 100).toPrecision(3)).toString()} %`;
const ms = (v: number | null): string =>
  v === null ? '–' : `${Number((v * 1000).toPrecision(3)).toString()} ms`;
const count = (v: number | null): string => (v === null ? '–' : String(Math.round(v)));
const secs = (v: number): string => `${Number(v.toFixed(1))} s`;

/** A "nice" upper bound for an axis (1, 2, 2.5, 5 × 10^n) at or above `max`. */
export function niceCeiling(max: number): number {
  if (!(max > 0)) return 1;
  const exp = 10 ** Math.floor(Math.log10(max));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * exp >= max - 1e-12) return m * exp;
  return 10 * exp;
}

const W = 760;
const H = 220;
const PAD = { left: 64, right: 16, top: 14, bottom: 34 };
const plotW = W - PAD.left - PAD.right;
const plotH = H - PAD.top - PAD.bottom;

interface Axis {
  max: number;
  label: (v: number) => string;
}

function frame(title: string, y: Axis, xTicks: string, body: string, legend: string): string {
  const ticks = [0, 0.5, 1]
    .map((f) => {
      const py = PAD.top + plotH * (1 - f);
      return (
        `<line class="grid" x1="${PAD.left}" x2="${W - PAD.right}" y1="${py}" y2="${py}"/>` +
        `<text class="tick" x="${PAD.left - 6}" y="${py + 4}" text-anchor="end">${escapeHtml(y.label(y.max * f))}</text>`
      );
    })
    .join('');
  return (
    `<figure><figcaption>${escapeHtml(title)}</figcaption>` +
    `<svg class="chart" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${escapeHtml(title)}">` +
    `${ticks}<line class="axis" x1="${PAD.left}" x2="${PAD.left}" y1="${PAD.top}" y2="${PAD.top + plotH}"/>` +
    `<line class="axis" x1="${PAD.left}" x2="${W - PAD.right}" y1="${PAD.top + plotH}" y2="${PAD.top + plotH}"/>` +
    `${xTicks}${body}</svg>${legend}</figure>`
  );
}

const legendOf = (items: Array<[string, string]>): string =>
  `<p class="legend">${items.map(([cls, text]) => `<span class="key ${cls}"></span>${escapeHtml(text)}`).join(' ')}</p>`;

/** The canary's weight over time (a step line), each round's decision marked on it. */
function weightChart(m: ReportModel): string {
  const span = Math.max(m.duration, 1);
  const x = (t: number): number => PAD.left + (t / span) * plotW;
  const y = (w: number): number => PAD.top + plotH * (1 - w / 100);
  let path = '';
  let last: { at: number; weight: number } | undefined;
  for (const p of m.weights) {
    path += last
      ? ` H${x(p.at).toFixed(1)} V${y(p.weight).toFixed(1)}`
      : `M${x(p.at).toFixed(1)} ${y(p.weight).toFixed(1)}`;
    last = p;
  }
  if (last) path += ` H${x(span).toFixed(1)}`;
  const marks = m.rounds
    .map((r) => {
      const cx = x(r.at).toFixed(1);
      const cy = y(r.weight).toFixed(1);
      const colour = DECISION_COLOUR[r.decision] ?? '#57606a';
      return (
        `<circle class="decision ${escapeHtml(r.decision)}" cx="${cx}" cy="${cy}" r="5" fill="${colour}">` +
        `<title>step ${r.step} round ${r.round} at ${secs(r.at)}: ${escapeHtml(r.decision.toUpperCase())} — ${escapeHtml(r.reason)}</title></circle>`
      );
    })
    .join('');
  const xTicks = [0, 0.25, 0.5, 0.75, 1]
    .map(
      (f) =>
        `<text class="tick" x="${x(span * f)}" y="${H - PAD.bottom + 16}" text-anchor="middle">${secs(span * f)}</text>`,
    )
    .join('');
  return frame(
    'Canary weight over time, with each round’s decision',
    { max: 100, label: (v) => `${Math.round(v)} %` },
    xTicks,
    `<path class="weight" d="${path}"/>${marks}`,
    legendOf([
      ['weight', 'canary weight'],
      ['advance', 'advance'],
      ['wait', 'wait'],
      ['rollback', 'rollback'],
    ]),
  );
}

/** One value per round for canary and stable, against the canary's limits. */
function roundChart(
  title: string,
  rounds: ReportRound[],
  pick: (c: NonNullable<ReportRound['stable']>) => number | null,
  limit: (r: ReportRound) => number | null,
  vsStable: (r: ReportRound) => number | null,
  label: (v: number) => string,
): string {
  const values = rounds.flatMap((r) => [
    pick(r.canary),
    r.stable ? pick(r.stable) : null,
    limit(r),
    vsStable(r),
  ]);
  const max = niceCeiling(Math.max(0, ...values.filter((v): v is number => v !== null)) * 1.1);
  const n = Math.max(rounds.length, 1);
  const slot = plotW / n;
  const x = (i: number): number => PAD.left + slot * (i + 0.5);
  const y = (v: number): number => PAD.top + plotH * (1 - Math.min(v, max) / max);
  const line = (pickAt: (r: ReportRound) => number | null, cls: string): string => {
    let d = '';
    let pen = false;
    rounds.forEach((r, i) => {
      const v = pickAt(r);
      if (v === null) {
        pen = false;
        return;
      }
      d += `${pen ? ' L' : ' M'}${x(i).toFixed(1)} ${y(v).toFixed(1)}`;
      pen = true;
    });
    return d ? `<path class="${cls}" d="${d.trim()}"/>` : '';
  };
  // The limit as a flat segment per round (limits may differ from round to round).
  const limits = (pickAt: (r: ReportRound) => number | null, cls: string): string =>
    rounds
      .map((r, i) => {
        const v = pickAt(r);
        if (v === null) return '';
        return `<line class="${cls}" x1="${(x(i) - slot / 2).toFixed(1)}" x2="${(x(i) + slot / 2).toFixed(1)}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}"><title>limit ${escapeHtml(label(v))}</title></line>`;
      })
      .join('');
  const points = rounds
    .map((r, i) => {
      const parts: string[] = [];
      const c = pick(r.canary);
      if (c !== null) {
        parts.push(
          `<circle class="canary-point ${escapeHtml(r.status)}" cx="${x(i).toFixed(1)}" cy="${y(c).toFixed(1)}" r="4.5"><title>step ${r.step} round ${r.round}: canary ${escapeHtml(label(c))} (round ${escapeHtml(r.status)}, ${escapeHtml(r.decision)})</title></circle>`,
        );
      }
      const s = r.stable ? pick(r.stable) : null;
      if (s !== null) {
        parts.push(
          `<rect class="stable-point" x="${(x(i) - 3.5).toFixed(1)}" y="${(y(s) - 3.5).toFixed(1)}" width="7" height="7"><title>step ${r.step} round ${r.round}: stable ${escapeHtml(label(s))}</title></rect>`,
        );
      }
      if (r.decision === 'rollback') {
        parts.push(
          `<line class="rollback-mark" x1="${x(i).toFixed(1)}" x2="${x(i).toFixed(1)}" y1="${PAD.top}" y2="${PAD.top + plotH}"/>`,
        );
      }
      return parts.join('');
    })
    .join('');
  const xTicks = rounds
    .map(
      (r, i) =>
        `<text class="tick" x="${x(i).toFixed(1)}" y="${H - PAD.bottom + 16}" text-anchor="middle">${r.weight}%·${r.round}</text>`,
    )
    .join('');
  return frame(
    title,
    { max, label },
    xTicks,
    limits(limit, 'limit') +
      limits(vsStable, 'limit-vs-stable') +
      line((r) => (r.stable ? pick(r.stable) : null), 'stable') +
      line((r) => pick(r.canary), 'canary') +
      points,
    legendOf([
      ['canary', 'canary (point colour: round pass / fail / inconclusive)'],
      ['stable', 'stable'],
      ['limit', 'canary limit'],
      ['limit-vs-stable', 'limit from stable + margin'],
    ]),
  );
}

/** "canary p95: no data", "stable p95: no data" → "canary p95, stable p95: no data" (one line per cause). */
export function groupMissing(missing: readonly string[]): string {
  const byCause = new Map<string, string[]>();
  for (const entry of missing) {
    const at = entry.indexOf(': ');
    const [what, cause] = at < 0 ? [entry, ''] : [entry.slice(0, at), entry.slice(at + 2)];
    byCause.set(cause, [...(byCause.get(cause) ?? []), what]);
  }
  return [...byCause]
    .map(([cause, whats]) => (cause ? `${whats.join(', ')}: ${cause}` : whats.join(', ')))
    .join('; ');
}

function roundsTable(m: ReportModel): string {
  const rows = m.rounds
    .map(
      (r) =>
        `<tr class="${escapeHtml(r.decision)}"><td>${r.step}</td><td>${r.weight} %</td><td>${r.round}</td><td>${secs(r.at)}</td>` +
        `<td>${count(r.canary.requests)}</td><td>${pct(r.canary.errorRate)}</td><td>${pct(r.stable?.errorRate ?? null)}</td><td>${pct(r.maxErrorRate)}</td>` +
        `<td>${ms(r.canary.p95)}</td><td>${ms(r.stable?.p95 ?? null)}</td><td>${ms(r.maxP95)}</td>` +
        `<td class="status ${escapeHtml(r.status)}">${escapeHtml(r.status)}</td><td class="decision-cell">${escapeHtml(r.decision.toUpperCase())}</td>` +
        `<td>${r.failedChecks}/${r.failureLimit}</td><td class="reason">${escapeHtml(r.reason)}${
          r.missing.length
            ? `<br><small class="missing">not read: ${escapeHtml(groupMissing(r.missing))}</small>`
            : ''
        }</td></tr>`,
    )
    .join('\n');
  return (
    '<table><thead><tr><th>step</th><th>weight</th><th>round</th><th>at</th><th>canary requests</th>' +
    '<th>canary errors</th><th>stable errors</th><th>error limit</th><th>canary p95</th><th>stable p95</th><th>p95 limit</th>' +
    `<th>round</th><th>decision</th><th>failed</th><th>reason</th></tr></thead><tbody>\n${rows}\n</tbody></table>`
  );
}

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2328;margin:24px;max-width:1100px}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 8px}
.verdict{padding:14px 18px;border-radius:6px;color:#fff;margin:12px 0 18px}
.verdict strong{font-size:22px;letter-spacing:.04em;margin-right:12px}
.verdict.promoted{background:#1a7f37}.verdict.rolled-back,.verdict.error{background:#cf222e}.verdict.aborted,.verdict.unfinished{background:#9a6700}
.meta{color:#57606a}.meta code{background:#f6f8fa;padding:1px 4px;border-radius:3px}
figure{margin:0 0 18px}figcaption{font-weight:600;margin-bottom:4px}
.chart{background:#fff;border:1px solid #d0d7de;border-radius:6px;max-width:100%;height:auto}
.grid{stroke:#eaeef2}.axis{stroke:#8c959f}.tick{font-size:11px;fill:#57606a}
.weight{fill:none;stroke:#0969da;stroke-width:2.5}
.canary{fill:none;stroke:#8250df;stroke-width:2}.stable{fill:none;stroke:#57606a;stroke-width:2;stroke-dasharray:5 4}
.canary-point{fill:#8250df;stroke:#fff;stroke-width:1.5}.canary-point.fail{fill:#cf222e}.canary-point.inconclusive{fill:#bf8700}.canary-point.pass{fill:#1a7f37}
.stable-point{fill:#57606a}
.limit{stroke:#cf222e;stroke-width:2;stroke-dasharray:6 3}.limit-vs-stable{stroke:#bc4c00;stroke-width:1.5;stroke-dasharray:2 3}
.rollback-mark{stroke:#cf222e;stroke-width:1;opacity:.5}
.legend{color:#57606a;font-size:12px;margin:4px 0 0}
.key{display:inline-block;width:14px;height:4px;margin:0 4px 2px 10px;vertical-align:middle;background:#8c959f}
.key.weight{background:#0969da}.key.canary{background:#8250df}.key.stable{background:repeating-linear-gradient(90deg,#57606a 0 5px,transparent 5px 9px)}
.key.limit{background:#cf222e}.key.limit-vs-stable{background:#bc4c00}
.key.advance,.key.wait,.key.rollback{width:9px;height:9px;border-radius:50%}
.key.advance{background:#1a7f37}.key.wait{background:#9a6700}.key.rollback{background:#cf222e}
table{border-collapse:collapse;width:100%;font-size:12.5px}th,td{border-bottom:1px solid #d0d7de;padding:4px 6px;text-align:right;vertical-align:top;white-space:nowrap}
th{background:#f6f8fa;white-space:normal}td.reason{text-align:left;white-space:normal;min-width:220px}tr.rollback td{background:#ffebe9}tr.advance td.decision-cell{color:#1a7f37;font-weight:600}
tr.rollback td.decision-cell{color:#cf222e;font-weight:600}td.status.fail{color:#cf222e}td.status.inconclusive{color:#9a6700}
.errors{color:#cf222e}.missing{color:#57606a}
`;

/** The whole page. */
export function renderReport(m: ReportModel): string {
  const preview = m.previewColor ?? 'the canary';
  const active = m.activeColor ?? 'stable';
  const versionOf = (c: string | null): string => (c ? (m.versions[c] ?? 'no version') : '?');
  const thresholds = Object.entries(m.thresholds)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `<code>${escapeHtml(k)} ${escapeHtml(String(v))}</code>`)
    .join(' ');
  const started = m.startedAt === null ? 'never started' : new Date(m.startedAt).toISOString();
  const errors = m.errors.length
    ? `<h2>Errors</h2><ul class="errors">${m.errors.map((e) => `<li>${escapeHtml(e)}</li>`).join('')}</ul>`
    : '';
  const body = m.rounds.length
    ? weightChart(m) +
      roundChart(
        'Error ratio per round: canary and stable against the limits',
        m.rounds,
        (c) => c.errorRate,
        (r) => r.maxErrorRate,
        (r) => r.errorRateVsStable,
        pct,
      ) +
      roundChart(
        'p95 latency per round: canary and stable against the limits',
        m.rounds,
        (c) => c.p95,
        (r) => r.maxP95,
        (r) => r.p95VsStable,
        ms,
      ) +
      `<h2>Rounds</h2>${roundsTable(m)}`
    : weightChart(m) + '<p>No analysis round was completed.</p>';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Rollout ${escapeHtml(VERDICT_TITLE[m.verdict.kind])}: ${escapeHtml(preview)} (${escapeHtml(versionOf(m.previewColor))})</title>
<style>${CSS}</style></head>
<body>
<h1>Rollout of ${escapeHtml(preview)} (${escapeHtml(versionOf(m.previewColor))}) beside ${escapeHtml(active)} (${escapeHtml(versionOf(m.activeColor))})</h1>
<div class="verdict ${m.verdict.kind}" id="verdict"><strong>${escapeHtml(VERDICT_TITLE[m.verdict.kind])}</strong>${escapeHtml(m.verdict.text)}</div>
<p class="meta">Platform ${escapeHtml(m.platform ?? '?')}, started ${escapeHtml(started)}, ${secs(m.duration)}; steps ${escapeHtml(m.steps.join(', '))} %,
interval ${escapeHtml(m.interval ?? '?')}, window ${escapeHtml(m.window ?? '?')}; ${m.rounds.length} rounds. Thresholds: ${thresholds || 'none'}.</p>
${body}
${errors}
</body></html>
`;
}
