import ipaddr from 'ipaddr.js';

// Loopback stays allowed for local development; every other non-public range is refused.
const ROUTABLE_RANGES = new Set(['unicast', 'loopback']);

/**
 * Whether an address (IPv4 or IPv6, bracketed or not, as `URL.hostname` gives it) lies where an
 * outgoing request must never go on a user's say-so: private, link-local (cloud metadata),
 * unspecified, shared or reserved ranges, also when written as an IPv4-mapped IPv6 address.
 * A host name is not an address: it is checked once resolved.
 */
export function isUnroutableAddress(hostOrAddress: string): boolean {
  const bare = hostOrAddress.replace(/^\[(.*)\]$/, '$1');
  if (!ipaddr.isValid(bare)) return false;
  const parsed = ipaddr.process(bare);
  return !ROUTABLE_RANGES.has(parsed.range());
}
