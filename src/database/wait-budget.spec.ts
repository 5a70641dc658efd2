import { beginWait, databaseWaitBudgetMs, runAsRequest, runUnbounded } from './wait-budget';

describe('the database wait budget', () => {
  let now = 1000;
  beforeEach(() => {
    now = 1000;
    jest.spyOn(performance, 'now').mockImplementation(() => now);
  });
  afterEach(() => jest.restoreAllMocks());

  /** A wait that lasts `ms`; answers the bound it was given. */
  const waitFor = (ms: number, ownBoundMs = 5500): number | undefined => {
    const wait = beginWait(ownBoundMs, 5500);
    now += ms;
    wait.end();
    return wait.boundMs;
  };

  it('is the statement timeout plus a small margin', () => {
    expect(databaseWaitBudgetMs(5000)).toBe(5500);
  });

  it('outside a request (background work), gives every wait its own bound', () => {
    expect(waitFor(5000, 5000)).toBe(5000);
    expect(waitFor(5500)).toBe(5500);
    expect(waitFor(0)).toBe(5500);
  });

  it('in a request, shares one budget between all waits, counting only the time spent waiting', () => {
    runAsRequest(() => {
      expect(waitFor(4000)).toBe(5500);
      now += 10_000; // the request's own work between two waits (e.g. checking a password hash)
      expect(waitFor(0, 5000)).toBe(1500);
      expect(waitFor(1000, 1000)).toBe(1000);
      expect(waitFor(0)).toBe(500);
      expect(waitFor(500)).toBe(500);
      expect(waitFor(0)).toBe(0);
    });
  });

  it('counts a wait once however often it is ended', () => {
    runAsRequest(() => {
      const wait = beginWait(5500, 5500);
      now += 1000;
      wait.end();
      now += 1000;
      wait.end();
      expect(beginWait(5500, 5500).boundMs).toBe(4500);
    });
  });

  it('counts a wait cut off at its bound as the whole bound, even when its timer fired a sliver early', () => {
    runAsRequest(() => {
      const wait = beginWait(5500, 5500);
      now += 5499.4; // timers run on the loop's cached clock: they can fire just before the bound
      wait.end(true);
      expect(beginWait(5500, 5500).boundMs).toBe(0);
    });
    runAsRequest(() => {
      const wait = beginWait(1000, 5500);
      now += 1200; // a late timer: the time really waited counts
      wait.end(true);
      expect(beginWait(5500, 5500).boundMs).toBe(4300);
    });
  });

  it('is carried across awaits, and each request has its own', async () => {
    const seen = await Promise.all(
      [0, 1].map((i) =>
        runAsRequest(async () => {
          if (i === 0) waitFor(5000);
          await new Promise((r) => setImmediate(r));
          return beginWait(5500, 5500).boundMs;
        }),
      ),
    );
    expect(seen).toEqual([500, 5500]);
  });

  it('has no client-side bound for a session that lifted the server timeouts on purpose', () => {
    expect(runUnbounded(() => beginWait(5500, 5500).boundMs)).toBeUndefined();
  });
});
