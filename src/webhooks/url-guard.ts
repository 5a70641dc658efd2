import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * Server-side request forgery guard for webhook URLs (OWASP SSRF prevention cheat sheet): a
 * subscription may not make Bulwark POST into its own network. Checked when the subscription is
 * created and again before every delivery, on the addresses DNS gives at that moment; the delivery
 * then connects to the address that was checked (webhook-sender.ts), so a DNS answer that changes
 * between check and connect (rebinding) cannot slip through.
 *
 * An allow-list, not a deny-list: an address is accepted only when ipaddr.js classes it as global
 * unicast (`range() === 'unicast'`), so every special-purpose range it knows (loopback, RFC 1918,
 * link-local, CGNAT, documentation, benchmarking, discard, ORCHID, Teredo, AS112, multicast,
 * reserved…) is refused, including ranges registered after this code was written once the package
 * knows them (https://www.iana.org/assignments/iana-ipv4-special-registry,
 * https://www.iana.org/assignments/iana-ipv6-special-registry).
 */

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

/** Whether an IP address is anything but a public unicast target. */
export function isForbiddenAddress(address: string): boolean {
  // Only the canonical textual forms DNS and the URL parser produce; ipaddr.js would also take
  // shorthand such as `0x7f.1`, which never reaches here from either.
  if (isIP(address) === 0) return true;
  const parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv4') return parsed.range() !== 'unicast';
  const carried = carriedIpv4(parsed as ipaddr.IPv6);
  if (carried === 'refuse') return true;
  if (carried) return carried.range() !== 'unicast';
  return parsed.range() !== 'unicast';
}

/**
 * For the IPv6 forms that reach an IPv4 host, that host (judged by the IPv4 rules): IPv4-mapped
 * (::ffff:a.b.c.d), IPv4-translated (::ffff:0:a.b.c.d, RFC 6145), IPv4-compatible (::a.b.c.d,
 * deprecated but still routed by some stacks), the NAT64 well-known prefix (64:ff9b::/96) and 6to4
 * (2002:AABB:CCDD::/48). The local-use NAT64 prefix (64:ff9b:1::/48, RFC 8215) translates into
 * the operator's own network, whatever it carries: refused outright.
 */
function carriedIpv4(address: ipaddr.IPv6): ipaddr.IPv4 | 'refuse' | undefined {
  const p = address.parts;
  const v4 = (hi: number, lo: number) => new ipaddr.IPv4([hi >> 8, hi & 0xff, lo >> 8, lo & 0xff]);
  switch (address.range()) {
    case 'ipv4Mapped':
    case 'rfc6145':
      return v4(p[6], p[7]);
    case 'rfc6052':
      return p[2] === 0 && p[3] === 0 && p[4] === 0 && p[5] === 0 ? v4(p[6], p[7]) : 'refuse';
    case '6to4':
      return v4(p[1], p[2]);
    case 'unicast':
      return p.slice(0, 6).every((x) => x === 0) ? v4(p[6], p[7]) : undefined;
    default:
      return undefined;
  }
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
        `url resolves to ${bad.address}, which is not a public unicast address (loopback, private, link-local and special-purpose ranges are refused)`,
      );
  }
  return addresses[0];
}
