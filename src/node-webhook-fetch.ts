import type { LookupAddress } from 'node:dns';
import { lookup } from 'node:dns/promises';
import { Agent, fetch as undiciFetch } from 'undici';
import { isUnroutableAddress } from './lib/unroutable-address';

/** Every address a host name resolves to (Node's resolver, as `fetch` itself would use). */
export async function resolveHost(hostname: string): Promise<string[]> {
  const found = await lookup(hostname, { all: true, verbatim: true });
  return found.map((entry) => entry.address);
}

type LookupCallback = (
  error: Error | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/**
 * `fetch` for URLs users register (status webhooks). The name is resolved when the connection
 * opens and the connection goes to the address that was checked, so a name that changes
 * between a check and the connection (DNS rebinding) cannot reach a private address.
 */
export function webhookFetch(resolve: (hostname: string) => Promise<string[]> = resolveHost) {
  const agent = new Agent({
    connect: {
      lookup(hostname: string, options: { all?: boolean }, callback: LookupCallback) {
        const answer = async () => {
          const addresses = await resolve(hostname);
          const address = addresses[0];
          if (!address) throw new Error(`${hostname} does not resolve`);
          if (addresses.some(isUnroutableAddress)) {
            throw new Error(`${hostname} resolves to a private address`);
          }
          return { address, family: address.includes(':') ? 6 : 4 };
        };
        answer().then(
          ({ address, family }) =>
            options.all ? callback(null, [{ address, family }]) : callback(null, address, family),
          (error: Error) => callback(error, ''),
        );
      },
    },
  });
  return ((input: string | URL, init?: RequestInit) =>
    undiciFetch(input, { ...init, dispatcher: agent } as Parameters<
      typeof undiciFetch
    >[1])) as typeof fetch;
}
