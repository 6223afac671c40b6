import { lookup } from 'node:dns/promises';

/** Every address a host name resolves to (Node's resolver, as `fetch` itself would use). */
export async function resolveHost(hostname: string): Promise<string[]> {
  const found = await lookup(hostname, { all: true, verbatim: true });
  return found.map((entry) => entry.address);
}
