import type * as Cockatiel from 'cockatiel';

export type BreakerState = 'closed' | 'open' | 'half_open';

/** The endpoint's breaker is open (or half-open with its one probe under way): the call was not made. */
export class CircuitOpenError extends Error {
  constructor(readonly retryInMs: number) {
    super('circuit breaker open');
    this.name = 'CircuitOpenError';
  }
}

export interface BreakerOptions {
  /** Consecutive failures that open the breaker. */
  threshold: number;
  /** Time an open breaker waits before one probe call may go through. */
  halfOpenMs: number;
  onStateChange?: (key: string, state: BreakerState) => void;
}

interface Entry {
  policy: Cockatiel.CircuitBreakerPolicy;
  openedAt: number;
}

/**
 * One circuit breaker per webhook endpoint (keyed by subscription id), from cockatiel: after
 * `threshold` consecutive failures the endpoint gets no calls for `halfOpenMs`, then one probe;
 * its success closes the breaker, its failure opens it again. Breakers live in the process: each
 * replica judges the endpoint from its own attempts.
 *
 * cockatiel 4 is an ES module. The built service loads it with Node's require(esm); the test runner
 * (jest on Node 20) cannot, and jest.config.js does not transform it, so it is loaded on the first
 * delivery rather than at start: specs that never deliver in-process never load it.
 */
export class BreakerRegistry {
  private library: Promise<typeof Cockatiel> | undefined;
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly options: BreakerOptions) {}

  /** Runs `call` through the endpoint's breaker; a thrown error or rejection counts as a failure. */
  async run<T>(key: string, call: () => Promise<T>): Promise<T> {
    const entry = await this.entry(key);
    const lib = await this.lib();
    try {
      return await entry.policy.execute(call);
    } catch (error) {
      if (error instanceof lib.BrokenCircuitError) {
        throw new CircuitOpenError(Math.max(0, entry.openedAt + this.options.halfOpenMs - Date.now()));
      }
      throw error;
    }
  }

  state(key: string): BreakerState {
    const entry = this.entries.get(key);
    return entry ? stateName(entry.policy.state) : 'closed';
  }

  forget(key: string): void {
    this.entries.delete(key);
  }

  private lib(): Promise<typeof Cockatiel> {
    this.library ??= import('cockatiel');
    return this.library;
  }

  private async entry(key: string): Promise<Entry> {
    const existing = this.entries.get(key);
    if (existing) return existing;
    const lib = await this.lib();
    const raced = this.entries.get(key);
    if (raced) return raced;
    const policy = lib.circuitBreaker(lib.handleAll, {
      halfOpenAfter: this.options.halfOpenMs,
      breaker: new lib.ConsecutiveBreaker(this.options.threshold),
    });
    const entry: Entry = { policy, openedAt: 0 };
    policy.onBreak(() => (entry.openedAt = Date.now()));
    policy.onStateChange((state) => this.options.onStateChange?.(key, stateName(state)));
    this.entries.set(key, entry);
    return entry;
  }
}

function stateName(state: Cockatiel.CircuitState): BreakerState {
  // CircuitState is a numeric enum: Closed 0, Open 1, HalfOpen 2, Isolated 3.
  return state === 0 ? 'closed' : state === 2 ? 'half_open' : 'open';
}
