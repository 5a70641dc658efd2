import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

/** One request the receiver got, as a Standard Webhooks consumer would see it. */
export interface ReceivedWebhook {
  webhookId: string;
  attempt: number;
  type: string;
  data: Record<string, unknown>;
  /** `Webhook.verify` accepted the signature (with the subscription's secret). */
  valid: boolean;
  /** The status this receiver answered (0: it never answered, e.g. the sender went away). */
  answered: number;
  at: number;
  /** The request as sent: body text and headers (lower-case names). */
  body: string;
  headers: Record<string, string>;
}

export type Responder = (hook: ReceivedWebhook) => number | Promise<number>;

/**
 * A real webhook receiver on 127.0.0.1: verifies each request with the specification's reference
 * library and records it; what it answers is up to the test (`respond`).
 */
export class Receiver {
  readonly received: ReceivedWebhook[] = [];
  /** Set once the subscription is created (the secret is only known then). */
  secret: string | undefined;
  respond: Responder = () => 200;
  /** Requests whose answer is still being decided (e.g. a slow or hung receiver). */
  open = 0;
  private server!: Server;

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hooks/bulwark`;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return this;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Requests that got a 2xx, per webhook-id. */
  deliveredCounts(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const r of this.received)
      if (r.answered >= 200 && r.answered < 300) counts.set(r.webhookId, (counts.get(r.webhookId) ?? 0) + 1);
    return counts;
  }

  attemptsOf(webhookId: string): ReceivedWebhook[] {
    return this.received.filter((r) => r.webhookId === webhookId);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
    let valid = false;
    try {
      new Webhook(this.secret ?? 'whsec_AAAA').verify(body, headers);
      valid = true;
    } catch {
      valid = false;
    }
    const parsed = JSON.parse(body) as { type: string; data: Record<string, unknown> };
    const hook: ReceivedWebhook = {
      webhookId: headers['webhook-id'],
      attempt: Number(headers['webhook-attempt']),
      type: parsed.type,
      data: parsed.data,
      valid,
      answered: 0,
      at: Date.now(),
      body,
      headers,
    };
    this.received.push(hook);
    this.open += 1;
    try {
      const status = await this.respond(hook);
      if (!res.destroyed) {
        hook.answered = status;
        res.writeHead(status).end();
      }
    } finally {
      this.open -= 1;
    }
  }
}

export async function startReceiver(): Promise<Receiver> {
  return new Receiver().start();
}

/** Polls `check` until it is true; fails with `describe()` after `timeoutMs`. */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  describe: () => string = () => '',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`condition not met within ${timeoutMs} ms ${describe()}`);
}
