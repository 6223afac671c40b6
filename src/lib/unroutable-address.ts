import ipaddr from 'ipaddr.js';

// Loopback is neither: whether it may be reached depends on the deployment (`isLoopbackHost`).
const ROUTABLE_RANGES = new Set(['unicast', 'loopback']);

const bareAddress = (hostOrAddress: string) => hostOrAddress.replace(/^\[(.*)\]$/, '$1');

/**
 * Whether an address (IPv4 or IPv6, bracketed or not, as `URL.hostname` gives it) lies where an
 * outgoing request must never go on a user's say-so: private, link-local (cloud metadata),
 * unspecified, shared or reserved ranges, also when written as an IPv4-mapped IPv6 address.
 * A host name is not an address: it is checked once resolved.
 */
export function isUnroutableAddress(hostOrAddress: string): boolean {
  const bare = bareAddress(hostOrAddress);
  if (!ipaddr.isValid(bare)) return false;
  const parsed = ipaddr.process(bare);
  return !ROUTABLE_RANGES.has(parsed.range());
}

/**
 * Whether a host is this machine: a loopback address (127.0.0.0/8, ::1, IPv4-mapped too) or a
 * name under `localhost`, which resolvers answer with loopback (RFC 6761). Give it
 * `URL.hostname`, which has already turned spellings such as `127.1` or `0x7f000001` into
 * `127.0.0.1`. Any other name is checked once resolved.
 */
export function isLoopbackHost(hostOrAddress: string): boolean {
  const bare = bareAddress(hostOrAddress).toLowerCase().replace(/\.$/, '');
  if (bare === 'localhost' || bare.endsWith('.localhost')) return true;
  return ipaddr.isValid(bare) && ipaddr.process(bare).range() === 'loopback';
}
