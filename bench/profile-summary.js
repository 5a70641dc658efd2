#!/usr/bin/env node
'use strict';
/**
 * Summarises a V8 .cpuprofile (node --cpu-prof; `npm run bench -- --cpu-prof <dir>`) by self time:
 * top functions, and totals per package (node_modules/<pkg>), per Bulwark source folder and for Node
 * internals, so "where does a request's CPU go" reads in one screen.
 *
 *   node bench/profile-summary.js <file.cpuprofile> [--top 30]
 */
const { readFileSync } = require('node:fs');

const file = process.argv[2];
if (!file) {
  process.stderr.write('usage: node bench/profile-summary.js <file.cpuprofile> [--top N]\n');
  process.exit(2);
}
const topIndex = process.argv.indexOf('--top');
const top = topIndex > 0 ? Number(process.argv[topIndex + 1]) : 30;
const profile = JSON.parse(readFileSync(file, 'utf8'));

const totalUs = profile.endTime - profile.startTime;
const sampleUs = totalUs / Math.max(1, profile.samples.length);
const counts = new Map();
for (const id of profile.samples) counts.set(id, (counts.get(id) || 0) + 1);

function area(url) {
  if (!url) return '(native/idle)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return `pkg:${rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]}`;
  }
  if (url.startsWith('node:') || !url.includes('/')) return 'node internals';
  const dist = /\/(?:dist|\.tmp\/[^/]+)\/(.+)$/.exec(url);
  if (dist) return `bulwark:${dist[1].split('/').slice(0, -1).join('/') || '.'}`;
  return url;
}

const byFunction = new Map();
const byArea = new Map();
let busy = 0;
for (const node of profile.nodes) {
  const hits = counts.get(node.id) || 0;
  if (hits === 0) continue;
  const { functionName, url, lineNumber } = node.callFrame;
  const name = functionName || '(anonymous)';
  if (name === '(idle)' || name === '(program)' || name === '(garbage collector)') {
    byArea.set(name, (byArea.get(name) || 0) + hits);
    if (name !== '(idle)') busy += hits;
    continue;
  }
  busy += hits;
  const key = `${name}  ${url ? `${url.replace(/^.*node_modules\//, '').replace(/^file:\/\//, '')}:${lineNumber + 1}` : ''}`;
  byFunction.set(key, (byFunction.get(key) || 0) + hits);
  const a = area(url);
  byArea.set(a, (byArea.get(a) || 0) + hits);
}

const pct = (hits) => `${((100 * hits) / Math.max(1, busy)).toFixed(1).padStart(5)} %`;
const out = [];
out.push(`${file}: ${(totalUs / 1e6).toFixed(1)} s profiled, ${((busy * sampleUs) / 1e6).toFixed(1)} s busy (percentages are of busy time)`);
out.push('', 'by area (self time):');
for (const [k, v] of [...byArea].filter(([k]) => k !== '(idle)').sort((a, b) => b[1] - a[1]).slice(0, 25)) out.push(`  ${pct(v)}  ${k}`);
out.push('', `top ${top} functions (self time):`);
for (const [k, v] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, top)) out.push(`  ${pct(v)}  ${k}`);
process.stdout.write(`${out.join('\n')}\n`);
