import { databaseWaitBudgetMs, runAsRequest, runUnbounded, waitBoundMs } from './wait-budget';

describe('the database wait budget', () => {
  let now = 1000;
  beforeEach(() => {
    now = 1000;
    jest.spyOn(performance, 'now').mockImplementation(() => now);
  });
  afterEach(() => jest.restoreAllMocks());

  it('is the statement timeout plus a small margin', () => {
    expect(databaseWaitBudgetMs(5000)).toBe(5500);
  });

  it('outside a request (background work), gives every wait its own bound', () => {
    expect(waitBoundMs(5000, 5500)).toBe(5000);
    now += 60_000;
    expect(waitBoundMs(5500, 5500)).toBe(5500);
  });

  it('in a request, shares one budget between all waits, started by the first', () => {
    runAsRequest(() => {
      now += 10_000; // before the first wait (e.g. hashing a password): not counted
      expect(waitBoundMs(5500, 5500)).toBe(5500);
      now += 4000;
      expect(waitBoundMs(5000, 5500)).toBe(1500);
      expect(waitBoundMs(1000, 5500)).toBe(1000);
      now += 2000;
      expect(waitBoundMs(5500, 5500)).toBe(0);
    });
  });

  it('is carried across awaits, and each request has its own', async () => {
    const seen = await Promise.all(
      [0, 1].map((i) =>
        runAsRequest(async () => {
          if (i === 0) {
            waitBoundMs(5500, 5500);
            now += 5000;
          }
          await new Promise((r) => setImmediate(r));
          return waitBoundMs(5500, 5500);
        }),
      ),
    );
    expect(seen).toEqual([500, 5500]);
  });

  it('has no client-side bound for a session that lifted the server timeouts on purpose', () => {
    expect(runUnbounded(() => waitBoundMs(5500, 5500))).toBeUndefined();
  });
});
