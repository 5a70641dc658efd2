/**
 * How long the HTTP server waits for a client (issue 14, finding 9): without bounds, a connection
 * that sends nothing, or half a request, holds a socket (and a file descriptor) for minutes, and
 * a few thousand of them exhaust the process. Node enforces these on its own connections
 * (https://nodejs.org/api/http.html#serverheaderstimeout); answers are 408 problem documents
 * (src/common/http/early-errors.ts), then the connection is closed.
 */
export const SERVER_TIMEOUTS = {
  /** From the connection (or the end of the previous request) to the last header line. */
  headersTimeoutMs: 10_000,
  /** From the connection to the end of the whole request, body included: 100 KiB at 5 KB/s. */
  requestTimeoutMs: 20_000,
  /**
   * An idle keep-alive connection between requests. Longer than the usual 60 s idle timeout of
   * load balancers and proxies in front, so the proxy, not the service, closes a reused connection
   * first and never sends a request into a socket being closed.
   */
  keepAliveTimeoutMs: 65_000,
  /** How often Node checks the two request timeouts above (its default, 30 s, would let them run 30 s late). */
  checkIntervalMs: 1_000,
} as const;
