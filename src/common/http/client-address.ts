import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * The client's address as Fastify determined it from the socket and, for trusted proxies only,
 * `X-Forwarded-For` (TRUST_PROXY, src/config/trust-proxy.ts), with an IPv4-mapped IPv6 address
 * (`::ffff:203.0.113.7`, what a dual-stack socket reports for an IPv4 peer) written as the IPv4
 * address it is, so one client has one spelling in audit entries, logs and rate-limit keys.
 */
export function clientAddress(request: { ip?: string }): string {
  const ip = request.ip ?? '';
  if (isIP(ip) !== 6) return ip === '' ? 'unknown' : ip;
  const parsed = ipaddr.IPv6.parse(ip);
  return parsed.isIPv4MappedAddress() ? parsed.toIPv4Address().toString() : parsed.toString();
}
