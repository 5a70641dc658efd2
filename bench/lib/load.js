'use strict';
/** The bench's load: autocannon (programmatic API) with per-request setup for unique keys and bodies. */
const { randomUUID } = require('node:crypto');
const autocannon = require('autocannon');
const os = require('node:os');
const { sampleRss, cpuTimeOf, cpuSplitOf, cpuSplitSince, machineCpu, busyShare } = require('./processes');

const pick = (list) => list[Math.floor(Math.random() * list.length)];

/**
 * Request factories, one per route. `fixtures`: {users: [{token, orderIds}], productIds}.
 * Each answers an autocannon request object whose setupRequest picks a random user (and product or
 * order) per request; order creation sends a fresh Idempotency-Key every time.
 */
function requestsFor(kind, fixtures) {
  const auth = (user) => ({ authorization: `Bearer ${user.token}` });
  const productRead = {
    method: 'GET',
    setupRequest: (req) => ({ ...req, path: `/v1/products/${pick(fixtures.productIds)}`, headers: auth(pick(fixtures.users)) }),
  };
  const orderRead = {
    method: 'GET',
    setupRequest: (req) => {
      const user = pick(fixtures.users);
      return { ...req, path: `/v1/orders/${pick(user.orderIds)}`, headers: auth(user) };
    },
  };
  const createOrder = {
    method: 'POST',
    setupRequest: (req) => ({
      ...req,
      path: '/v1/orders',
      headers: { ...auth(pick(fixtures.users)), 'content-type': 'application/json', 'idempotency-key': randomUUID() },
      body: JSON.stringify({ items: [{ productId: pick(fixtures.productIds), quantity: 1 }] }),
    }),
  };
  const login = {
    method: 'POST',
    setupRequest: (req) => ({
      ...req,
      path: '/v1/auth/login',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: pick(fixtures.users).email, password: fixtures.password }),
    }),
  };
  switch (kind) {
    case 'productRead':
      return [productRead];
    case 'orderRead':
      return [orderRead];
    case 'createOrder':
      return [createOrder];
    case 'login':
      return [login];
    case 'mixed':
      // 80 % reads (half product, half order), 20 % order creation, cycled per connection.
      return [productRead, orderRead, createOrder, productRead, orderRead];
    default:
      throw new Error(`unknown request kind ${kind}`);
  }
}

function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return Math.round(sorted[index] * 100) / 100;
}

/**
 * One autocannon run against `server` for `durationS` seconds; returns its figures.
 * Latency percentiles are computed from every response of the run (autocannon has no p95).
 */
function runLoad(server, { kind, connections, durationS, overallRate, fixtures, timeoutS = 10 }) {
  return new Promise((resolve, reject) => {
    const latencies = [];
    const statuses = {};
    const rss = sampleRss(server.pid);
    const cpuBefore = cpuTimeOf(server.pid);
    const splitBefore = cpuSplitOf(server.pid);
    const machineBefore = machineCpu();
    const instance = autocannon(
      {
        url: server.url,
        connections,
        duration: durationS,
        pipelining: 1,
        timeout: timeoutS,
        overallRate: overallRate || undefined,
        requests: requestsFor(kind, fixtures),
      },
      (error, result) => {
        const peakRss = rss.stop();
        const cpuUs = cpuBefore === null ? null : cpuTimeOf(server.pid) - cpuBefore;
        const cpuSplitUs = cpuSplitSince(splitBefore, cpuSplitOf(server.pid));
        const machineBusy = busyShare(machineBefore, machineCpu());
        if (error) return reject(error);
        latencies.sort((a, b) => a - b);
        const seconds = result.duration || durationS;
        resolve({
          requests: latencies.length,
          rps: Math.round((result['2xx'] / seconds) * 10) / 10,
          latencyMs: { p50: percentile(latencies, 50), p95: percentile(latencies, 95), p97_5: percentile(latencies, 97.5), p99: percentile(latencies, 99), max: percentile(latencies, 100) },
          ok2xx: result['2xx'],
          non2xx: result.non2xx,
          statuses,
          errors: result.errors,
          timeouts: result.timeouts,
          peakRssBytes: peakRss,
          durationS: seconds,
          // Server CPU (user + system) per answered request: steadier than req/s on a shared machine.
          cpuUs,
          cpuUsPerRequest: cpuUs === null || latencies.length === 0 ? null : Math.round((cpuUs / latencies.length) * 10) / 10,
          // The same CPU time by thread and mode (processes.js, cpuSplitOf), µs over the run.
          cpuSplitUs,
          // The whole machine's busy share during the run, and its load average at the end.
          machineBusy,
          loadAverage: os.loadavg().map((x) => Math.round(x * 100) / 100),
        });
      },
    );
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      latencies.push(responseTime);
      statuses[statusCode] = (statuses[statusCode] || 0) + 1;
    });
  });
}

module.exports = { runLoad, requestsFor, percentile };
