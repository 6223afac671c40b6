import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { TestApp } from './test-app';

/**
 * Serves the test app over real HTTP on a free loopback port. `intercept` can answer a
 * request itself (to inject faults at the network edge) or return undefined to pass it on.
 */
export async function serveTestApp(
  t: TestApp,
  intercept: (request: Request) => Response | undefined = () => undefined,
) {
  const server = serve({
    fetch: (request) => intercept(request) ?? t.app.fetch(request),
    port: 0,
    hostname: '127.0.0.1',
  });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
