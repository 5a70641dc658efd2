import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * Which peers may tell the service who the client is (`X-Forwarded-For`), as Fastify's `trustProxy`
 * takes it (https://fastify.dev/docs/latest/Reference/Server/#trustproxy):
 * - `false`: nobody; the client is the socket's peer (no proxy in front);
 * - a hop count `n`: the n proxies nearest the service are trusted, and the client is the address
 *   the outermost of them appended to `X-Forwarded-For`;
 * - addresses / CIDRs (or proxy-addr's names `loopback`, `linklocal`, `uniquelocal`): peers in
 *   those ranges are trusted, the first address from the right outside them is the client.
 * `true` (trust every entry) is refused: the left-most entry is whatever the client sent, so any
 * client could name any address and walk past the per-address rate limits (issue 14, finding 7).
 */
export type TrustProxy = false | number | string[];

export const MAX_TRUSTED_HOPS = 16;
const NAMED_RANGES = ['loopback', 'linklocal', 'uniquelocal'];

function isAddressOrCidr(entry: string): boolean {
  if (NAMED_RANGES.includes(entry)) return true;
  const [address, bits, ...rest] = entry.split('/');
  if (rest.length > 0 || isIP(address) === 0) return false;
  return bits === undefined || ipaddr.isValidCIDR(entry);
}

/** Parses `TRUST_PROXY`; `problem` is one line naming what is wrong and what to write instead. */
export function parseTrustProxy(raw: string | undefined): { value: TrustProxy } | { problem: string } {
  const text = raw?.trim().toLowerCase() ?? '';
  if (['', 'false', 'no', '0'].includes(text)) return { value: false };
  if (['true', 'yes'].includes(text)) {
    return {
      problem:
        'true would trust every X-Forwarded-For entry, so any client could forge its address and pass the rate limits; ' +
        'set the number of proxies in front (1 behind one ingress or gateway) or their addresses/CIDRs',
    };
  }
  if (/^\d+$/.test(text)) {
    const hops = Number(text);
    if (hops > MAX_TRUSTED_HOPS)
      return { problem: `a hop count must be from 0 to ${MAX_TRUSTED_HOPS} (got "${raw}")` };
    return { value: hops };
  }
  const entries = text
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0);
  const bad = entries.filter((entry) => !isAddressOrCidr(entry));
  if (bad.length > 0) {
    return {
      problem: `must be false, a hop count (e.g. 1) or comma-separated proxy addresses/CIDRs (not "${bad.join('", "')}")`,
    };
  }
  return { value: entries };
}

/**
 * The value for Fastify's `trustProxy`. A hop count becomes the predicate Fastify itself builds from
 * a number (the `hop` nearest peers are trusted), since Nest's adapter options type omits numbers.
 */
export function fastifyTrustProxy(
  value: TrustProxy,
): false | string[] | ((address: string, hop: number) => boolean) {
  return typeof value === 'number' ? (_address, hop) => hop < value : value;
}
