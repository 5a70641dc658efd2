import { Agent, request } from 'node:http';

export interface LoadOutcome {
  /** Answers with the expected status. */
  ok: number;
  /** Answers with any other status, by status. */
  unexpected: Record<number, number>;
  /** Socket-level failures (resets, refused connections), by message. */
  socketErrors: Record<string, number>;
  total: number;
}

export interface Load {
  /** Answers so far (for waiting until the load is flowing). */
  answered(): number;
  /** Forgets everything counted so far (the warm-up: pools filling, JIT) and starts counting again. */
  reset(): void;
  stop(): Promise<LoadOutcome>;
}

/**
 * `concurrency` keep-alive clients, each sending `path` again as soon as its previous answer is
 * complete, until stopped. Every answer and every socket error is counted.
 */
export function startLoad(
  baseUrl: string,
  path: string,
  options: { concurrency: number; headers?: Record<string, string>; expect?: number },
): Load {
  const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency });
  let outcome: LoadOutcome = { ok: 0, unexpected: {}, socketErrors: {}, total: 0 };
  const expected = options.expect ?? 200;
  let running = true;

  const once = (): Promise<void> =>
    new Promise((resolve) => {
      const req = request(`${baseUrl}${path}`, { agent, headers: options.headers }, (res) => {
        res.resume();
        res.on('end', () => {
          outcome.total += 1;
          if (res.statusCode === expected) outcome.ok += 1;
          else outcome.unexpected[res.statusCode ?? 0] = (outcome.unexpected[res.statusCode ?? 0] ?? 0) + 1;
          resolve();
        });
        res.on('error', (error) => {
          outcome.total += 1;
          outcome.socketErrors[error.message] = (outcome.socketErrors[error.message] ?? 0) + 1;
          resolve();
        });
      });
      req.on('error', (error) => {
        outcome.total += 1;
        outcome.socketErrors[error.message] = (outcome.socketErrors[error.message] ?? 0) + 1;
        resolve();
      });
      req.end();
    });

  const workers = Array.from({ length: options.concurrency }, async () => {
    while (running) await once();
  });

  return {
    answered: () => outcome.total,
    reset: () => {
      outcome = { ok: 0, unexpected: {}, socketErrors: {}, total: 0 };
    },
    stop: async () => {
      running = false;
      await Promise.all(workers);
      agent.destroy();
      return outcome;
    },
  };
}
