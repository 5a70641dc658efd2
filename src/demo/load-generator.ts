import { randomBytes } from 'node:crypto';
import { LOAD_USAGE, LoadOptions, parseLoadOptions } from './load-options';

/**
 * Demo traffic for the kind walk-through (k8s/demo-load.yaml runs it as a Job in the app image):
 * without traffic every canary round is inconclusive. It registers a few users, then spreads
 * `--rate` read requests a second over them, through the router, so both colours get their share
 * and the rollout tool's queries (API routes only) have something to judge. Reads only, after the
 * sign-ups: it never orders. Prints what came back every `--report-every`; exits 0 when done or on
 * SIGTERM/SIGINT.
 */

/** Requests in flight at most: a stalled target must not make the generator pile up sockets. */
const MAX_IN_FLIGHT = 200;
const TICK_MS = 100;
const REQUEST_TIMEOUT_MS = 10_000;
const PATHS = ['/v1/products?limit=5', '/v1/users/me'];

/** A CLI's own output (the service logs with pino; this is a one-off tool's report). */
const say = (text: string): void => void process.stdout.write(`${text}\n`);

interface User {
  email: string;
  password: string;
  token: string | undefined;
}

type Tally = Record<'sent' | '2xx' | '4xx' | '5xx' | 'failed', number>;

async function json(res: Response): Promise<Record<string, unknown>> {
  const text = await res.text();
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

async function signIn(target: string, user: User): Promise<void> {
  const res = await fetch(`${target}/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: user.email, password: user.password }),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  if (res.status !== 200) throw new Error(`POST /v1/auth/login answered ${res.status}`);
  user.token = (await json(res)).accessToken as string;
}

async function signUp(target: string, n: number): Promise<User> {
  const id = randomBytes(6).toString('hex');
  const user: User = {
    email: `demo-load-${id}-${n}@example.com`,
    password: `pw-${randomBytes(12).toString('base64url')}`,
    token: undefined,
  };
  const res = await fetch(`${target}/v1/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: user.email, password: user.password, name: `Demo load ${n}` }),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  if (res.status !== 201)
    throw new Error(`POST /v1/auth/register answered ${res.status}: ${await res.text()}`);
  await signIn(target, user);
  return user;
}

/** Sign-ups may meet a router that is still coming up: a few tries, a second apart. */
async function withRetries<T>(what: string, work: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await work();
    } catch (error) {
      if (attempt >= 30) throw error;
      say(`${what} failed (${(error as Error).message}); retrying`);
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

async function one(options: LoadOptions, user: User, path: string, tally: Tally): Promise<void> {
  tally.sent += 1;
  try {
    const res = await fetch(options.target + path, {
      headers: { authorization: `Bearer ${user.token}` },
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    await res.arrayBuffer();
    if (res.status >= 500) tally['5xx'] += 1;
    else if (res.status >= 400) tally['4xx'] += 1;
    else tally['2xx'] += 1;
    // An access token lives ACCESS_TOKEN_TTL (15 min by default): sign in again when it ends.
    if (res.status === 401) await signIn(options.target, user).catch(() => undefined);
  } catch {
    tally.failed += 1;
  }
}

function line(tally: Tally, elapsedMs: number): string {
  return `after ${Math.round(elapsedMs / 1000)}s: ${tally.sent} sent, ${tally['2xx']} 2xx, ${tally['4xx']} 4xx, ${tally['5xx']} 5xx, ${tally.failed} failed (no answer)`;
}

async function runLoad(options: LoadOptions, stop: AbortSignal): Promise<Tally> {
  const users: User[] = [];
  for (let n = 1; n <= options.users; n += 1)
    users.push(await withRetries('sign-up', () => signUp(options.target, n)));
  say(`${users.length} users signed in; sending ${options.rate} requests/s to ${options.target}`);
  const tally: Tally = { sent: 0, '2xx': 0, '4xx': 0, '5xx': 0, failed: 0 };
  const inFlight = new Set<Promise<void>>();
  const started = Date.now();
  let next = 0;
  let lastReport = started;
  while (!stop.aborted && Date.now() - started < options.durationMs) {
    // Paced by the clock, not by the ticks: a slow tick (a busy machine) sends the backlog.
    const due = Math.floor((options.rate * (Date.now() - started)) / 1000);
    while (next < due && inFlight.size < MAX_IN_FLIGHT) {
      const request = one(options, users[next % users.length], PATHS[next % PATHS.length], tally);
      next += 1;
      inFlight.add(request);
      void request.finally(() => inFlight.delete(request));
    }
    if (Date.now() - lastReport >= options.reportEveryMs) {
      say(line(tally, Date.now() - started));
      lastReport = Date.now();
    }
    await new Promise((r) => setTimeout(r, TICK_MS));
  }
  await Promise.all(inFlight);
  say(`done: ${line(tally, Date.now() - started)}`);
  return tally;
}

async function main(): Promise<void> {
  let options: LoadOptions;
  try {
    options = parseLoadOptions(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${LOAD_USAGE}\n`);
    process.exit(64);
  }
  const stop = new AbortController();
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => stop.abort());
  try {
    await runLoad(options, stop.signal);
  } catch (error) {
    process.stderr.write(`load generator failed: ${(error as Error).message}\n`);
    process.exit(1);
  }
}

if (require.main === module) void main();
