import { Agent, createServer, IncomingMessage, request as httpRequest, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A small HTTP load balancer for system specs, behaving like Kubernetes endpoints in front of pods:
 * round-robin over the backends whose `/health/ready` answered 200 at the last poll; a backend leaves
 * the rotation at the first poll that does not answer 200 (so with a delay of up to `pollMs`, as
 * endpoint removal has). It never retries: a failed upstream request is a 502 to the client, so a
 * spec counting failures sees every one.
 */
export interface BalancerBackend {
  url: string;
  /** Requests this backend answered. */
  served: number;
  /** Answers from this backend that carried `Connection: close`. */
  connectionClose: number;
  /** Upstream failures (socket errors) while talking to this backend. */
  errors: number;
  inRotation: boolean;
}

export interface Balancer {
  url: string;
  backends: BalancerBackend[];
  /** Resolves after the next completed readiness poll of every backend. */
  nextPoll(): Promise<void>;
  close(): Promise<void>;
}

export interface BalancerOptions {
  pollMs?: number;
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer']);

export async function startBalancer(urls: string[], options: BalancerOptions = {}): Promise<Balancer> {
  const pollMs = options.pollMs ?? 200;
  const backends: BalancerBackend[] = urls.map((url) => ({ url, served: 0, connectionClose: 0, errors: 0, inRotation: false }));
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  let next = 0;
  let closed = false;
  let pollWaiters: Array<() => void> = [];

  async function poll(): Promise<void> {
    await Promise.all(
      backends.map(async (backend) => {
        try {
          const res = await fetch(`${backend.url}/health/ready`, { signal: AbortSignal.timeout(pollMs * 5) });
          await res.arrayBuffer();
          backend.inRotation = res.status === 200;
        } catch {
          backend.inRotation = false;
        }
      }),
    );
    const waiters = pollWaiters;
    pollWaiters = [];
    for (const resolve of waiters) resolve();
  }

  let polling = Promise.resolve();
  const timer = setInterval(() => {
    polling = polling.then(poll);
  }, pollMs);
  await poll();

  function pick(): BalancerBackend | undefined {
    const live = backends.filter((b) => b.inRotation);
    if (live.length === 0) return undefined;
    next = (next + 1) % live.length;
    return live[next];
  }

  function forward(req: IncomingMessage, res: ServerResponse): void {
    const backend = pick();
    if (!backend) {
      res.writeHead(503, { 'content-type': 'text/plain' }).end('no backend in rotation');
      return;
    }
    const target = new URL(req.url ?? '/', backend.url);
    const headers = Object.fromEntries(Object.entries(req.headers).filter(([name]) => !HOP_BY_HOP.has(name)));
    const upstream = httpRequest(target, { method: req.method, headers, agent }, (answer) => {
      backend.served += 1;
      if (String(answer.headers.connection).toLowerCase() === 'close') backend.connectionClose += 1;
      const out = Object.fromEntries(Object.entries(answer.headers).filter(([name]) => !HOP_BY_HOP.has(name)));
      res.writeHead(answer.statusCode ?? 502, out);
      answer.pipe(res);
    });
    upstream.on('error', (error) => {
      backend.errors += 1;
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain', 'x-upstream-error': error.message }).end(error.message);
      else res.destroy(error);
    });
    req.pipe(upstream);
  }

  const server: Server = createServer(forward);
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    backends,
    nextPoll: () => new Promise((resolve) => pollWaiters.push(resolve)),
    close: async () => {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      await polling;
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    },
  };
}
