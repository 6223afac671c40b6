import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A Slack incoming webhook on loopback that answers as Slack does: 200 "ok" for a JSON body
 * with text, 400 "invalid_payload" / "no_text" otherwise, or 500 while `down` is set.
 */
export async function startFakeSlack() {
  const messages: { text: string }[] = [];
  const state = { down: false };
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      if (state.down) return response.writeHead(500).end('internal_error');
      let payload: { text?: unknown };
      try {
        payload = JSON.parse(body);
      } catch {
        return response.writeHead(400).end('invalid_payload');
      }
      if (typeof payload.text !== 'string' || payload.text === '') {
        return response.writeHead(400).end('no_text');
      }
      messages.push({ text: payload.text });
      response.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/services/T000/B000/XXXX`,
    messages,
    state,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
