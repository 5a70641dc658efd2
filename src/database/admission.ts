import { ServiceUnavailableError } from '../common/errors/app-error';

/**
 * A counting semaphore with a bounded wait: at most `limit` holders; a caller that cannot get a slot
 * within `maxWaitMs` is answered 503 SERVICE_UNAVAILABLE (never a hang). Waiters are served first come,
 * first served.
 */
export class Admission {
  private active = 0;
  private readonly waiters: Array<{ grant: () => void }> = [];

  constructor(
    readonly limit: number,
    readonly maxWaitMs: number,
  ) {}

  get inUse(): number {
    return this.active;
  }

  get waiting(): number {
    return this.waiters.length;
  }

  /** `maxWaitMs` may shorten this caller's wait (a request with little of its budget left). */
  async run<T>(work: () => Promise<T>, maxWaitMs = this.maxWaitMs): Promise<T> {
    await this.acquire(maxWaitMs);
    try {
      return await work();
    } finally {
      this.release();
    }
  }

  private acquire(maxWaitMs: number): Promise<void> {
    if (this.active < this.limit) {
      this.active += 1;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const waiter = {
        grant: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      const timer = setTimeout(() => {
        const index = this.waiters.indexOf(waiter);
        if (index >= 0) this.waiters.splice(index, 1);
        reject(
          new ServiceUnavailableError('Too many operations are waiting for the database; retry shortly.'),
        );
      }, maxWaitMs);
      this.waiters.push(waiter);
    });
  }

  private release(): void {
    const next = this.waiters.shift();
    // The slot passes straight to the next waiter (active stays the same).
    if (next) next.grant();
    else this.active -= 1;
  }
}
