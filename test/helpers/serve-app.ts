import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { TestApp } from './test-app';

/**
 * Serves the test app over real HTTP on a free loopback port. `intercept` can answer a
 * request itself (to inject faults at the network edge) or return undefined to pass it on.
 * `keepGlobalResponse`: @hono/node-server swaps the global `Response` for its own class, so
 * code in this process that fetches from the server and checks `instanceof Response` (the
 * importer's client, which runs in a process of its own in use) would see none.
 */
export async function serveTestApp(
  t: TestApp,
  intercept: (request: Request) => Response | undefined = () => undefined,
  { keepGlobalResponse = false } = {},
) {
  const server = serve({
    fetch: (request) => intercept(request) ?? t.app.fetch(request),
    port: 0,
    hostname: '127.0.0.1',
    overrideGlobalObjects: !keepGlobalResponse,
  });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
