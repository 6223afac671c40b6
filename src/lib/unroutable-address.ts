/**
 * Private, link-local, unspecified and metadata addresses (IPv4 and IPv6, bracketed or not):
 * where an outgoing request must never go on a user's say-so. Loopback stays allowed for local
 * development.
 */
const UNROUTABLE =
  /^\[?(10\.|172\.(1[6-9]|2\d|3[01])\.|192\.168\.|169\.254\.|0\.|f[cd][0-9a-f]*:|fe[89ab][0-9a-f]*:|::ffff:(10\.|172\.(1[6-9]|2\d|3[01])\.|192\.168\.|169\.254\.))/i;

export function isUnroutableAddress(hostOrAddress: string): boolean {
  return UNROUTABLE.test(hostOrAddress);
}
