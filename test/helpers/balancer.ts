import {
  Agent,
  createServer,
  IncomingMessage,
  request as httpRequest,
  Server,
  ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A small HTTP load balancer for system specs, behaving like Kubernetes endpoints in front of pods:
 * round-robin over the backends whose `/health/ready` answered 200 at the last poll; a backend leaves
 * the rotation at the first poll answered 503 (so with a delay of up to `pollMs`, as endpoint removal
 * has), or after `failureThreshold` probes in a row (default 3, the kubelet's default) that got no
 * answer within `pollMs * 4` (a starved but healthy instance is not dropped for one slow probe). It
 * never retries: a failed upstream request is a 502 to the client, so a
 * spec counting failures sees every one.
 */
export interface BalancerBackend {
  url: string;
  /** Requests this backend answered. */
  served: number;
  /** Answers from this backend that carried `Connection: close`. */
  connectionClose: number;
  /** Non-2xx answers from this backend: `status at ms` (balancer clock), for diagnosing a failure. */
  failures: string[];
  /** Upstream failures (socket errors) while talking to this backend. */
  errors: number;
  inRotation: boolean;
}

export interface Balancer {
  url: string;
  backends: BalancerBackend[];
  /** Requests answered 503 by the balancer itself because no backend was in rotation. */
  noBackend(): number;
  /** Readiness transitions seen, in order (`url in|out at ms`), for diagnosing a failure. */
  transitions: string[];
  close(): Promise<void>;
}

export interface BalancerOptions {
  pollMs?: number;
  /** Consecutive unanswered (timed-out, refused) polls before a backend leaves the rotation. */
  failureThreshold?: number;
}

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'te',
  'trailer',
]);

export async function startBalancer(urls: string[], options: BalancerOptions = {}): Promise<Balancer> {
  const pollMs = options.pollMs ?? 200;
  const failureThreshold = options.failureThreshold ?? 3;
  const misses = new Map<BalancerBackend, number>();
  let initialised = false;
  const backends: BalancerBackend[] = urls.map((url) => ({
    url,
    served: 0,
    connectionClose: 0,
    errors: 0,
    failures: [],
    inRotation: false,
  }));
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  let next = 0;
  let closed = false;
  let noBackend = 0;
  const transitions: string[] = [];
  const startedAt = Date.now();

  function note(backend: BalancerBackend, ready: boolean, why: string): void {
    if (initialised && ready !== backend.inRotation)
      transitions.push(`${backend.url} ${ready ? 'in' : 'out'} at ${Date.now() - startedAt} ms (${why})`);
    backend.inRotation = ready;
  }

  async function probe(backend: BalancerBackend): Promise<void> {
    try {
      const res = await fetch(`${backend.url}/health/ready`, { signal: AbortSignal.timeout(pollMs * 4) });
      await res.arrayBuffer();
      misses.set(backend, 0);
      note(backend, res.status === 200, String(res.status));
    } catch (error) {
      const missed = (misses.get(backend) ?? 0) + 1;
      misses.set(backend, missed);
      if (missed >= failureThreshold || !initialised)
        note(backend, false, `${missed} polls unanswered: ${(error as Error).message}`);
    }
  }

  await Promise.all(backends.map(probe));
  initialised = true;
  // One loop per backend, a probe every `pollMs` (never a backlog: a slow answer delays only its own next probe).
  const loops = backends.map(async (backend) => {
    while (!closed) {
      const started = Date.now();
      await probe(backend);
      await new Promise((r) => setTimeout(r, Math.max(0, pollMs - (Date.now() - started))));
    }
  });
  const polling = Promise.all(loops);

  function pick(): BalancerBackend | undefined {
    const live = backends.filter((b) => b.inRotation);
    if (live.length === 0) return undefined;
    next = (next + 1) % live.length;
    return live[next];
  }

  function forward(req: IncomingMessage, res: ServerResponse): void {
    const backend = pick();
    if (!backend) {
      noBackend += 1;
      res.writeHead(503, { 'content-type': 'text/plain' }).end('no backend in rotation');
      return;
    }
    const target = new URL(req.url ?? '/', backend.url);
    const headers = Object.fromEntries(Object.entries(req.headers).filter(([name]) => !HOP_BY_HOP.has(name)));
    const upstream = httpRequest(target, { method: req.method, headers, agent }, (answer) => {
      backend.served += 1;
      if ((answer.statusCode ?? 502) >= 300)
        backend.failures.push(`${answer.statusCode} at ${Date.now() - startedAt} ms`);
      if (String(answer.headers.connection).toLowerCase() === 'close') backend.connectionClose += 1;
      const out = Object.fromEntries(
        Object.entries(answer.headers).filter(([name]) => !HOP_BY_HOP.has(name)),
      );
      res.writeHead(answer.statusCode ?? 502, out);
      answer.pipe(res);
    });
    upstream.on('error', (error) => {
      backend.errors += 1;
      if (!res.headersSent)
        res
          .writeHead(502, { 'content-type': 'text/plain', 'x-upstream-error': error.message })
          .end(error.message);
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
    noBackend: () => noBackend,
    transitions,
    close: async () => {
      if (closed) return;
      closed = true;
      await polling;
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    },
  };
}
