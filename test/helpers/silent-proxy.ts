import { AddressInfo, createServer, Server, Socket, connect } from 'node:net';

/**
 * A TCP proxy in front of a real server that can make it go silent, the way a frozen or partitioned
 * database looks from the client: connections stay open, bytes are accepted, nothing comes back.
 * `silence()` stops reading on every connection, old and new (what was sent waits in the kernel's
 * buffers, as it would for a stopped process); `resume()` lets it all through, in order.
 */
export class SilentProxy {
  private server!: Server;
  private silent = false;
  private readonly pairs = new Set<{ client: Socket; upstream: Socket }>();
  private openBeforeSilence = new Set<{ client: Socket; upstream: Socket }>();
  private trap: Buffer | undefined;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  /** A proxy for the server of `url`; `viaProxy(url)` gives the same URL through it. */
  static async inFrontOf(url: string): Promise<SilentProxy> {
    const target = new URL(url);
    return new SilentProxy(target.hostname, Number(target.port || 5432)).start();
  }

  viaProxy(url: string): string {
    const proxied = new URL(url);
    proxied.hostname = '127.0.0.1';
    proxied.port = String((this.server.address() as AddressInfo).port);
    return proxied.toString();
  }

  get connections(): number {
    return this.pairs.size;
  }

  silence(): void {
    this.silent = true;
    this.openBeforeSilence = new Set(this.pairs);
    for (const { client, upstream } of this.pairs) {
      client.pause();
      upstream.pause();
    }
  }

  /**
   * `'opened-before-silence'`: only the connections that were open before `silence()` answer again,
   * newer ones stay silent (a server that answers on its connections but accepts new ones slowly).
   */
  resume(which: 'all' | 'opened-before-silence' = 'all'): void {
    if (which === 'all') this.silent = false;
    for (const pair of which === 'all' ? this.pairs : this.openBeforeSilence) {
      pair.client.resume();
      pair.upstream.resume();
    }
  }

  /**
   * The next connection that sends `text` (e.g. `COMMIT\0`, the end of a simple-protocol COMMIT) gets
   * it through to the server, and from then on nothing back: the server acts on it, the client never
   * learns the outcome (the hard case of docs/failure-behaviour.md).
   */
  loseAnswersAfter(text: string): void {
    this.trap = Buffer.from(text);
  }

  async stop(): Promise<void> {
    for (const { client, upstream } of this.pairs) {
      client.destroy();
      upstream.destroy();
    }
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async start(): Promise<this> {
    this.server = createServer((client) => this.accept(client));
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return this;
  }

  private accept(client: Socket): void {
    const upstream = connect(this.targetPort, this.targetHost);
    const pair = { client, upstream };
    this.pairs.add(pair);
    let answersLost = false;
    client.on('data', (chunk: Buffer) => {
      upstream.write(chunk);
      if (this.trap && chunk.includes(this.trap)) {
        this.trap = undefined;
        answersLost = true;
      }
    });
    upstream.on('data', (chunk: Buffer) => {
      if (!answersLost) client.write(chunk);
    });
    const close = (): void => {
      this.pairs.delete(pair);
      client.end();
      upstream.end();
    };
    client.on('end', close);
    upstream.on('end', close);
    client.on('error', close);
    upstream.on('error', close);
    if (this.silent) {
      client.pause();
      upstream.pause();
    }
  }
}
