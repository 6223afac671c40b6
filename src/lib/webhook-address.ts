import { isLoopbackHost, isUnroutableAddress } from './unroutable-address';

/**
 * The one rule for where a status webhook may go, applied when an endpoint is added and again
 * before each delivery (to the address in its URL and, on Node, to every address its name
 * resolves to): never a private, link-local, metadata or reserved address, and this machine
 * (loopback) only when `allowLoopback` (`webhooksAllowLoopback`: a local deployment, or
 * allowed outright). What refuses the host or address, or null when it may be reached.
 */
export function webhookAddressRefusal(
  hostOrAddress: string,
  allowLoopback: boolean,
): 'a private address' | 'a loopback address' | null {
  if (isUnroutableAddress(hostOrAddress)) return 'a private address';
  if (!allowLoopback && isLoopbackHost(hostOrAddress)) return 'a loopback address';
  return null;
}

/**
 * `fetch` for webhook URLs that first holds the host written in the URL to the rule, so an
 * endpoint stored under other rules (or another deployment's) is refused before anything is
 * sent. It cannot see what a name resolves to: on Cloudflare Workers, which have no DNS
 * lookup nor a hook where the connection opens, this is the whole send-time check, and a name
 * that resolves to a private or loopback address is not refused there. Node wraps its
 * resolving `fetch` in it (node-webhook-fetch.ts), which checks every resolved address too.
 */
export function hostCheckedFetch(
  allowLoopback: boolean,
  send: (input: string | URL, init?: RequestInit) => Promise<Response> = (input, init) =>
    fetch(input, init),
): typeof fetch {
  return (async (input: string | URL, init?: RequestInit) => {
    const { hostname } = new URL(input);
    const refused = webhookAddressRefusal(hostname, allowLoopback);
    if (refused) throw new Error(`${hostname} is ${refused}`);
    return send(input, init);
  }) as typeof fetch;
}
