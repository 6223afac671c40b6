import type { Context } from 'hono';
import ipaddr from 'ipaddr.js';

export type AddressRange = [ipaddr.IPv4 | ipaddr.IPv6, number];

/** An address or CIDR range (`10.0.0.0/8`, `2001:db8::/32`, `127.0.0.1`), or undefined. */
export function parseAddressRange(text: string): AddressRange | undefined {
  try {
    if (text.includes('/')) return ipaddr.parseCIDR(text);
    const address = ipaddr.process(text);
    return [address, address.kind() === 'ipv4' ? 32 : 128];
  } catch {
    return undefined;
  }
}

/**
 * The address of whoever sent the request, as far as it can be known: the connection's peer,
 * or, when that peer is a proxy TRUSTED_PROXIES names, the nearest X-Forwarded-For hop that is
 * not one (a client may write any hops it likes to the left of the ones proxies append). On
 * Workers, Cloudflare's `CF-Connecting-IP`. Undefined where there is no connection (tests
 * calling the app directly).
 */
export function clientAddress(c: Context, trustedProxies: readonly AddressRange[]) {
  const peer = peerAddress(c);
  if (!peer) return undefined;
  let client = peer;
  if (isTrusted(client, trustedProxies)) {
    const hops = (c.req.header('x-forwarded-for') ?? '').split(',').map((hop) => hop.trim());
    for (const hop of hops.reverse()) {
      const address = parseAddress(hop);
      if (!address) break;
      client = address;
      if (!isTrusted(client, trustedProxies)) break;
    }
  }
  return client;
}

/**
 * The client as a rate limit should count it: an IPv4 address, or an IPv6 address's /64, which
 * a single subscriber line or host is commonly given whole.
 */
export function clientBucket(address: ipaddr.IPv4 | ipaddr.IPv6 | undefined): string {
  if (!address) return 'unknown';
  if (address.kind() === 'ipv4') return address.toString();
  const network = (address as ipaddr.IPv6).parts.slice(0, 4).map((part) => part.toString(16));
  return `${network.join(':')}::/64`;
}

const onWorkers = () =>
  (globalThis as { navigator?: { userAgent?: string } }).navigator?.userAgent ===
  'Cloudflare-Workers';

function peerAddress(c: Context): ipaddr.IPv4 | ipaddr.IPv6 | undefined {
  if (onWorkers()) return parseAddress(c.req.header('cf-connecting-ip') ?? '');
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined;
  return parseAddress(env?.incoming?.socket?.remoteAddress ?? '');
}

function parseAddress(text: string): ipaddr.IPv4 | ipaddr.IPv6 | undefined {
  // IPv4-mapped IPv6 (`::ffff:203.0.113.9`, what a dual-stack socket reports) as IPv4.
  return ipaddr.isValid(text) ? ipaddr.process(text) : undefined;
}

function isTrusted(address: ipaddr.IPv4 | ipaddr.IPv6, ranges: readonly AddressRange[]) {
  return ranges.some(
    ([network, bits]) => network.kind() === address.kind() && address.match(network, bits),
  );
}
