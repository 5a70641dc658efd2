// A steady load through nginx: a fixed request rate (not a closed loop, so a slow canary does not
// slow the load down), a cap on requests in flight, and a hard stop after `maxDurationMs` so a
// forgotten generator ends by itself. Targets 127.0.0.1 only.

export interface LoadOptions {
  baseUrl: string;
  path: string;
  token: string;
  ratePerSecond: number;
  maxInFlight?: number;
  maxDurationMs?: number;
  /** upstream address → colour, from nginx's X-Bulwark-Upstream header */
  colourOf?: (upstream: string) => string | undefined;
}

export interface LoadStats {
  total: number;
  ok: number;
  /** Answered with a non-2xx status: what clients saw as failures. */
  failed: number;
  /** No answer even after one retry (resets while nginx reloads are counted apart). */
  networkErrors: number;
  retried: number;
  /** Requests skipped because too many were in flight. */
  skipped: number;
  byColour: Record<string, { total: number; failed: number }>;
  /** Answers per HTTP status. */
  byStatus: Record<string, number>;
  failedShare: number;
}

export class SteadyLoad {
  private timer?: NodeJS.Timeout;
  private hardStop?: NodeJS.Timeout;
  private inFlight = new Set<Promise<void>>();
  private readonly s: LoadStats = {
    total: 0,
    ok: 0,
    failed: 0,
    networkErrors: 0,
    retried: 0,
    skipped: 0,
    byColour: {},
    byStatus: {},
    failedShare: 0,
  };

  constructor(private readonly o: LoadOptions) {
    const host = new URL(o.baseUrl).hostname;
    if (host !== '127.0.0.1' && host !== 'localhost')
      throw new Error(`load targets 127.0.0.1 only, not ${host}`);
  }

  start(): void {
    const tickMs = 10;
    let due = 0;
    let last = Date.now();
    this.timer = setInterval(() => {
      const now = Date.now();
      // A stalled event loop must not turn into a burst: catch up by at most 100 ms worth.
      due = Math.min(due + ((now - last) * this.o.ratePerSecond) / 1000, this.o.ratePerSecond / 10);
      last = now;
      while (due >= 1) {
        due -= 1;
        if (this.inFlight.size >= (this.o.maxInFlight ?? 256)) {
          this.s.skipped += 1;
          continue;
        }
        const p = this.one().finally(() => this.inFlight.delete(p));
        this.inFlight.add(p);
      }
    }, tickMs);
    this.hardStop = setTimeout(() => void this.stop(), this.o.maxDurationMs ?? 15 * 60_000);
    this.hardStop.unref();
  }

  private async one(): Promise<void> {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const r = await fetch(`${this.o.baseUrl}${this.o.path}`, {
          headers: { authorization: `Bearer ${this.o.token}` },
          signal: AbortSignal.timeout(10_000),
        });
        await r.arrayBuffer();
        this.s.total += 1;
        const ok = r.status >= 200 && r.status < 300;
        this.s.byStatus[r.status] = (this.s.byStatus[r.status] ?? 0) + 1;
        if (ok) this.s.ok += 1;
        else this.s.failed += 1;
        const colour = this.o.colourOf?.(r.headers.get('x-bulwark-upstream') ?? '') ?? 'unknown';
        const c = (this.s.byColour[colour] ??= { total: 0, failed: 0 });
        c.total += 1;
        if (!ok) c.failed += 1;
        return;
      } catch {
        // A GET is safe to retry; a connection reset while nginx reloads is not the canary's doing.
        if (attempt === 0) this.s.retried += 1;
      }
    }
    this.s.total += 1;
    this.s.networkErrors += 1;
  }

  async stop(): Promise<LoadStats> {
    if (this.timer) clearInterval(this.timer);
    if (this.hardStop) clearTimeout(this.hardStop);
    this.timer = undefined;
    await Promise.all([...this.inFlight]);
    return this.stats();
  }

  /** What happened between an earlier snapshot and now. */
  static since(earlier: LoadStats, now: LoadStats): LoadStats {
    const byColour: LoadStats['byColour'] = {};
    for (const [c, v] of Object.entries(now.byColour)) {
      const e = earlier.byColour[c] ?? { total: 0, failed: 0 };
      if (v.total - e.total > 0) byColour[c] = { total: v.total - e.total, failed: v.failed - e.failed };
    }
    const total = now.total - earlier.total;
    const failed = now.failed - earlier.failed;
    return {
      total,
      ok: now.ok - earlier.ok,
      failed,
      networkErrors: now.networkErrors - earlier.networkErrors,
      retried: now.retried - earlier.retried,
      skipped: now.skipped - earlier.skipped,
      byColour,
      byStatus: Object.fromEntries(
        Object.entries(now.byStatus)
          .map(([k, v]) => [k, v - (earlier.byStatus[k] ?? 0)])
          .filter(([, v]) => (v as number) > 0),
      ),
      failedShare: total === 0 ? 0 : failed / total,
    };
  }

  stats(): LoadStats {
    return {
      ...this.s,
      byColour: structuredClone(this.s.byColour),
      byStatus: { ...this.s.byStatus },
      failedShare: this.s.total === 0 ? 0 : this.s.failed / this.s.total,
    };
  }
}
