import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A product page on another origin that includes /embed.js with a token, as a customer would:
 * at the end of its body, or in its head (`inHead`), where it runs before the body is parsed;
 * it does not poll unless given `pollSeconds`.
 */
export function startDemoPage(
  page: () => {
    forestall: string;
    token: string;
    inHead?: boolean;
    target?: string;
    pollSeconds?: string;
  },
) {
  const server: Server = createServer((_, response) => {
    const { forestall, token, inHead = false, target = '#notices', pollSeconds = '0' } = page();
    const script = `<script src="${forestall}/embed.js" data-token="${token}"
      data-target="${target}" data-poll-seconds="${pollSeconds}"></script>`;
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    response.end(`<!doctype html><html lang="en"><head><title>Acme dashboard</title>
      ${inHead ? script : ''}</head>
      <body><h1>Acme dashboard</h1><div id="notices"></div>
      ${inHead ? '' : script}
      </body></html>`);
  });
  return new Promise<{ url: string; close: () => Promise<void> }>((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}`,
        close: () => new Promise((done) => server.close(() => done())),
      });
    });
  });
}
