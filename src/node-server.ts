import { createServer, type Server } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import { createApp } from './app';
import type { Deps } from './deps';
import { swaggerUiFiles } from './docs/swagger-ui-files';
import { withNoticesFastPath } from './modules/notices/notices-fast-path';

/** The HTTP server `npm start` runs: the Hono app, with the notices API answered ahead of it. */
export function serveNode(deps: Deps, options: { port: number; hostname?: string }): Server {
  const app = createApp(deps, { apiReferenceAssets: swaggerUiFiles });
  const honoListener = getRequestListener(app.fetch, { hostname: options.hostname });
  const server = createServer(withNoticesFastPath(deps, honoListener));
  server.listen(options.port, options.hostname);
  return server;
}
