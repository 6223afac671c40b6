import type { LookupAddress } from 'node:dns';
import { lookup } from 'node:dns/promises';
import { Agent, fetch as undiciFetch } from 'undici';
import { hostCheckedFetch, webhookAddressRefusal } from './lib/webhook-address';

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

export type WebhookFetchOptions = {
  /** Whether this machine may be reached (a local deployment: see `webhooksAllowLoopback`). */
  allowLoopback: boolean;
  resolve?: (hostname: string) => Promise<string[]>;
};

/**
 * `fetch` for URLs users register (status webhooks), holding every address to the webhook rule
 * (`webhookAddressRefusal`). The name is resolved when the connection opens and the connection
 * goes to the address that was checked, so a name that changes between a check and the
 * connection (DNS rebinding) cannot reach a private address, nor loopback unless allowed. An
 * address written in the URL is checked before anything is sent (`hostCheckedFetch`, the
 * whole check on Workers), so an endpoint stored under other rules is refused as well.
 */
export function webhookFetch({ allowLoopback, resolve = resolveHost }: WebhookFetchOptions) {
  const agent = new Agent({
    connect: {
      lookup(hostname: string, options: { all?: boolean }, callback: LookupCallback) {
        const answer = async () => {
          const addresses = await resolve(hostname);
          const address = addresses[0];
          if (!address) throw new Error(`${hostname} does not resolve`);
          const refused = addresses
            .map((each) => webhookAddressRefusal(each, allowLoopback))
            .find(Boolean);
          if (refused) throw new Error(`${hostname} resolves to ${refused}`);
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
  return hostCheckedFetch(allowLoopback, (input, init) =>
    undiciFetch(input, { ...init, dispatcher: agent } as Parameters<typeof undiciFetch>[1]),
  );
}
