import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

/** The prefix an IPv6 client is counted by: the usual smallest allocation to one subscriber (RFC 6177). */
export const IPV6_BUCKET_PREFIX = 64;

/**
 * The rate-limit bucket of a client address: an IPv4 address alone; an IPv6 address by its /64, since
 * one host (or one subscriber) usually holds a whole /64 and can rotate through 2^64 addresses of
 * it, one bucket each, if counted per address. IPv4-mapped IPv6 counts as its IPv4 address.
 * Anything that is not an IP address (no socket address at all) is its own bucket.
 */
export function addressBucket(address: string): string {
  const family = isIP(address);
  if (family === 0) return address;
  const parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv4') return parsed.toString();
  const v6 = parsed as ipaddr.IPv6;
  if (v6.isIPv4MappedAddress()) return v6.toIPv4Address().toString();
  const network = ipaddr.IPv6.networkAddressFromCIDR(`${v6.toNormalizedString()}/${IPV6_BUCKET_PREFIX}`);
  return `${network.toString()}/${IPV6_BUCKET_PREFIX}`;
}
