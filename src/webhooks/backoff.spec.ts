import { backoffDelayMs } from './backoff';

describe('backoffDelayMs', () => {
  it('doubles the window per attempt, up to the cap', () => {
    expect([1, 2, 3, 4, 5].map((a) => backoffDelayMs(a, 100, 1000, () => 1))).toEqual([
      100, 200, 400, 800, 1000,
    ]);
    expect([1, 2, 3, 4, 5].map((a) => backoffDelayMs(a, 100, 1000, () => 0))).toEqual([
      50, 100, 200, 400, 500,
    ]);
  });

  it('stays within [d/2, d] for any random value, so every second gap is longer whatever the jitter', () => {
    for (let i = 0; i < 1000; i += 1) {
      const a = 1 + (i % 6);
      const delay = backoffDelayMs(a, 100, 10_000);
      const d = Math.min(10_000, 100 * 2 ** (a - 1));
      expect(delay).toBeGreaterThanOrEqual(d / 2);
      expect(delay).toBeLessThanOrEqual(d);
      expect(backoffDelayMs(a + 2, 100, 1e9, () => 0)).toBeGreaterThan(backoffDelayMs(a, 100, 1e9, () => 1));
    }
  });
});
