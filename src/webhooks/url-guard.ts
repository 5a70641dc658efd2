import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

/**
 * Server-side request forgery guard for webhook URLs (OWASP SSRF prevention cheat sheet): a
 * subscription may not make Bulwark POST into its own network. Checked when the subscription is
 * created and again before every delivery, on the addresses DNS gives at that moment; the delivery
 * then connects to the address that was checked (webhook-sender.ts), so a DNS answer that changes
 * between check and connect (rebinding) cannot slip through.
 */
const FORBIDDEN = new BlockList();
// IPv4: "this network", loopback, RFC 1918, CGNAT (RFC 6598), link-local (cloud metadata lives at
// 169.254.169.254), IETF protocol assignments, benchmarking, multicast, reserved and broadcast.
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['127.0.0.0', 8],
  ['10.0.0.0', 8],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
  ['100.64.0.0', 10],
  ['169.254.0.0', 16],
  ['192.0.0.0', 24],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  FORBIDDEN.addSubnet(network, prefix, 'ipv4');
}
// IPv6: unspecified, loopback, unique-local, link-local, site-local (deprecated, still routed
// inside some networks), multicast, Teredo (2001::/32: tunnels to an IPv4 host, obfuscated) and the
// local-use NAT64 prefix (64:ff9b:1::/48, RFC 8215: translates into the operator's own network).
// Forms that carry an IPv4 address are checked against the IPv4 rules (embeddedIpv4 below).
FORBIDDEN.addAddress('::', 'ipv6');
FORBIDDEN.addAddress('::1', 'ipv6');
FORBIDDEN.addSubnet('fc00::', 7, 'ipv6');
FORBIDDEN.addSubnet('fe80::', 10, 'ipv6');
FORBIDDEN.addSubnet('fec0::', 10, 'ipv6');
FORBIDDEN.addSubnet('ff00::', 8, 'ipv6');
FORBIDDEN.addSubnet('2001::', 32, 'ipv6');
FORBIDDEN.addSubnet('64:ff9b:1::', 48, 'ipv6');

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Why a URL may not be used; the message is safe to show to the admin who sent it. */
export class WebhookUrlRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WebhookUrlRefused';
  }
}

/** Whether an IP address is loopback, private, link-local or otherwise not a public unicast target. */
export function isForbiddenAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return true;
  if (family === 4) return FORBIDDEN.check(address, 'ipv4');
  if (FORBIDDEN.check(address, 'ipv6')) return true;
  const ipv4 = embeddedIpv4(address);
  return ipv4 !== undefined && FORBIDDEN.check(ipv4, 'ipv4');
}

/**
 * The IPv4 address an IPv6 address carries, for the forms that reach it: IPv4-compatible
 * (::a.b.c.d, ::/96), IPv4-mapped (::ffff:a.b.c.d), IPv4-translated (::ffff:0:a.b.c.d), NAT64
 * well-known prefix (64:ff9b::/96) and 6to4 (2002:AABB:CCDD::/48). `address` must be valid IPv6.
 */
function embeddedIpv4(address: string): string | undefined {
  const h = ipv6Hextets(address);
  const v4 = (hi: number, lo: number) => `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;
  if (h[0] === 0x2002) return v4(h[1], h[2]);
  const zeroUpTo = (n: number) => h.slice(0, n).every((x) => x === 0);
  if (zeroUpTo(6)) return v4(h[6], h[7]);
  if (zeroUpTo(5) && h[5] === 0xffff) return v4(h[6], h[7]);
  if (zeroUpTo(4) && h[4] === 0xffff && h[5] === 0) return v4(h[6], h[7]);
  if (h[0] === 0x64 && h[1] === 0xff9b && h[2] === 0 && h[3] === 0 && h[4] === 0 && h[5] === 0)
    return v4(h[6], h[7]);
  return undefined;
}

/** The eight 16-bit groups of a valid IPv6 address (zone id dropped, trailing dotted quad folded in). */
function ipv6Hextets(address: string): number[] {
  let text = address.split('%')[0].toLowerCase();
  const quad = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (quad) {
    const [a, b, c, d] = quad.slice(1).map(Number);
    text = `${text.slice(0, quad.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::');
  const parse = (part: string | undefined) => (part ? part.split(':').map((x) => parseInt(x, 16)) : []);
  const left = parse(head);
  const right = parse(tail);
  return tail === undefined
    ? left
    : [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
}

export const MAX_URL_LENGTH = 2048;

/** Syntax rules that need no DNS: http(s), a host, no credentials, bounded length. */
export function parseWebhookUrl(raw: string): URL {
  if (raw.length > MAX_URL_LENGTH)
    throw new WebhookUrlRefused(`url must be at most ${MAX_URL_LENGTH} characters`);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new WebhookUrlRefused('url must be an absolute http or https URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new WebhookUrlRefused('url must use http or https');
  if (url.username !== '' || url.password !== '')
    throw new WebhookUrlRefused('url must not carry credentials');
  if (url.hostname === '') throw new WebhookUrlRefused('url must name a host');
  return url;
}

export type Resolver = (host: string) => Promise<ResolvedAddress[]>;

const dnsResolver: Resolver = async (host) => {
  const answers = await lookup(host, { all: true, verbatim: true });
  return answers.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
};

/** The bound on one lookup when the caller gives none. */
export const DEFAULT_LOOKUP_TIMEOUT_MS = 5000;

export interface ResolveOptions {
  /** How DNS is asked (tests inject their own). */
  resolve?: Resolver;
  /**
   * The longest a lookup may take. getaddrinfo runs on libuv's small threadpool (shared with argon2,
   * fs and crypto) and cannot be cancelled; past this bound its answer is ignored and the URL refused
   * for now (the dispatcher counts that as a failed attempt and retries it).
   */
  timeoutMs?: number;
}

/**
 * Resolves the URL's host and refuses it when any of its addresses is forbidden (a name with one
 * public and one private address is refused: the connection could go to either). With
 * `allowPrivate` (WEBHOOKS_ALLOW_PRIVATE, for tests and demos) every address is accepted.
 * Returns the address to connect to.
 */
export async function resolveWebhookTarget(
  url: URL,
  allowPrivate: boolean,
  options: ResolveOptions = {},
): Promise<ResolvedAddress> {
  const { resolve = dnsResolver, timeoutMs = DEFAULT_LOOKUP_TIMEOUT_MS } = options;
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const literal = isIP(host);
  let addresses: ResolvedAddress[];
  if (literal !== 0) {
    addresses = [{ address: host, family: literal === 6 ? 6 : 4 }];
  } else {
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<'expired'>((settle) => {
      timer = setTimeout(() => settle('expired'), timeoutMs);
    });
    try {
      const answer = await Promise.race([resolve(host), expired]);
      if (answer === 'expired')
        throw new WebhookUrlRefused(`url host ${host} did not resolve within ${timeoutMs} ms`);
      addresses = answer;
    } catch (error) {
      if (error instanceof WebhookUrlRefused) throw error;
      throw new WebhookUrlRefused(`url host ${host} does not resolve`);
    } finally {
      clearTimeout(timer);
    }
    if (addresses.length === 0) throw new WebhookUrlRefused(`url host ${host} does not resolve`);
  }
  if (!allowPrivate) {
    const bad = addresses.find((a) => isForbiddenAddress(a.address));
    if (bad)
      throw new WebhookUrlRefused(
        `url resolves to ${bad.address}, a loopback, private or link-local address`,
      );
  }
  return addresses[0];
}
