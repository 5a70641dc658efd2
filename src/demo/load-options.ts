import { parseArgs } from 'node:util';

/** What the demo load generator does (command line → options; pure, tested apart). */
export interface LoadOptions {
  /** Where requests go: the router in front of both colours (on kind, Envoy's Service). */
  target: string;
  /** Requests per second, all users together. */
  rate: number;
  durationMs: number;
  /** Users it registers and spreads the requests over (each stays under the per-user rate limit). */
  users: number;
  /** How often a summary line is printed. */
  reportEveryMs: number;
}

export const LOAD_USAGE = `usage: node dist/demo/load-generator.js --target URL [--rate 20] [--duration 10m] [--users N]
  Registers N users, then sends --rate requests/s of GET /v1/products and GET /v1/users/me through
  --target for --duration, printing what came back every 10 s. Demo traffic for the rollout's
  canary analysis; N defaults to one user per 5 requests/s (the default per-user limit is 10/s).`;

const DURATION = /^(\d+)(ms|s|m|h)?$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

function positiveInt(name: string, text: string, max: number): number {
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > max)
    throw new Error(`--${name} must be a whole number from 1 to ${max} (got "${text}")`);
  return Number(text);
}

export function parseLoadOptions(argv: string[]): LoadOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      target: { type: 'string' },
      rate: { type: 'string', default: '20' },
      duration: { type: 'string', default: '10m' },
      users: { type: 'string' },
      'report-every': { type: 'string', default: '10s' },
    },
    strict: true,
    allowPositionals: false,
  });
  if (!values.target) throw new Error('--target is required');
  let target: URL;
  try {
    target = new URL(values.target);
  } catch {
    throw new Error(`--target must be an http(s) URL (got "${values.target}")`);
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:')
    throw new Error(`--target must be an http(s) URL (got "${values.target}")`);
  const rate = positiveInt('rate', values.rate, 1000);
  const users = values.users === undefined ? Math.ceil(rate / 5) : positiveInt('users', values.users, 100);
  return {
    target: target.toString().replace(/\/$/, ''),
    rate,
    durationMs: duration('duration', values.duration),
    users,
    reportEveryMs: duration('report-every', values['report-every']),
  };
}

function duration(name: string, text: string): number {
  const m = DURATION.exec(text.trim());
  if (!m || Number(m[1]) === 0)
    throw new Error(`--${name} must be a duration like 30s, 10m, 1h (got "${text}")`);
  return Number(m[1]) * UNIT_MS[m[2] ?? 's'];
}
