/**
 * Delay before retry number `attempt` (1 = the retry after the first failure): exponential, capped,
 * with "equal jitter" (https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/):
 * uniformly in [d/2, d] where d = min(max, base * 2^(attempt-1)). Half the window is jitter, which
 * spreads replicas and receivers' recoveries; the other half guarantees the gaps grow, so a failing
 * receiver sees fewer and fewer attempts (full jitter could retry at once, again and again).
 */
export function backoffDelayMs(
  attempt: number,
  baseMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
