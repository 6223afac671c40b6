import {
  createServer,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { Duplex } from 'node:stream';
import { getRequestListener, type Http2Bindings, type HttpBindings } from '@hono/node-server';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import { createApp } from './app';
import type { Deps } from './deps';
import { swaggerUiFiles } from './docs/swagger-ui-files';
import { AppError } from './http/app-error';
import { problemAnswer } from './http/problem';
import { requestIdFor } from './http/request-id';
import { logRequest } from './http/request-log';
import { answerNotices, type NoticesReply } from './modules/notices/notices-answer';

export type NodeServer = Server;
export type NodeListener = (incoming: IncomingMessage, outgoing: ServerResponse) => void;

/** The HTTP server `npm start` runs: the Hono app, with the notices API answered ahead of it. */
export function serveNode(deps: Deps, options: { port: number; hostname?: string }): NodeServer {
  const app = createApp(deps, { apiReferenceAssets: swaggerUiFiles });
  const server = createServer(withNoticesFastPath(deps, honoListener(app, options.hostname)));
  server.on('clientError', answerClientError);
  server.listen(options.port, options.hostname);
  return server;
}

/**
 * The Hono app as a node:http listener. Hono's Node adapter (1.19) labels every answer
 * without a `Content-Type` `text/plain`, a 304 and a 204 included; a 304 stands for the
 * stored 200, and a type on it would relabel that copy in caches (RFC 9110 §15.4.5). Answers
 * of those statuses are written here, with the headers the app gave them.
 */
export function honoListener(
  app: { fetch(request: Request, env: object): Response | Promise<Response> },
  hostname?: string,
): NodeListener {
  return getRequestListener(
    async (request, env) => {
      const response = await app.fetch(request, env);
      if (response.status !== 304 && response.status !== 204) return response;
      writeWithoutBody(env.outgoing, response);
      return RESPONSE_ALREADY_SENT;
    },
    { hostname },
  );
}

function writeWithoutBody(
  outgoing: (HttpBindings | Http2Bindings)['outgoing'],
  response: Response,
): void {
  const headers: OutgoingHttpHeaders = {};
  for (const [name, value] of response.headers) {
    if (name !== 'set-cookie') headers[name] = value;
  }
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) headers['set-cookie'] = cookies;
  outgoing.writeHead(response.status, headers);
  outgoing.end();
}

/**
 * A request node:http cannot take never reaches the app. Node would answer a request line and
 * headers over its 16 KB limit (a query string that long) with a bare 431 and no body: this
 * says the same as problem+json, like every other refusal. Anything else is left as Node
 * leaves it: a bare 400 while the socket can still be written to, else the socket closed.
 */
function answerClientError(error: Error & { code?: string }, socket: Duplex): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  if (error.code !== 'HPE_HEADER_OVERFLOW') {
    socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    return;
  }
  const refusal = new AppError(
    'headers_too_large',
    'The request line and headers exceed 16 KB; send long inputs in a body.',
  );
  const requestId = requestIdFor(undefined);
  const { status, headers, body } = problemAnswer(refusal, requestId);
  const head = Object.entries({
    ...headers,
    'x-request-id': requestId,
    'content-length': String(Buffer.byteLength(body)),
    connection: 'close',
  })
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  socket.end(`HTTP/1.1 ${status} ${refusal.title}\r\n${head}\r\n${body}`);
}

/**
 * `/v1/accounts/{id}/notices` whose id reads the same decoded: printable ASCII without
 * `#`, `%`, `/` and `?`. Other ids (and any query) are left to Hono, which decodes them.
 */
const NOTICES_PATH =
  /^\/v1\/accounts\/([\x21\x22\x24\x26-\x2e\x30-\x3e\x40-\x7e]{1,200})\/notices$/;

/**
 * Writes `answerNotices` straight to node:http, ahead of the Hono app, which writes the same
 * answer (a test compares the two). Every product app polls this route, and Hono's
 * per-request Request, Headers, Context and middleware cost it about half its throughput
 * (bench:notices). Everything else goes to `next`, the Hono app.
 */
export function withNoticesFastPath(deps: Deps, next: NodeListener): NodeListener {
  return (incoming, outgoing) => {
    const accountId =
      incoming.method === 'GET' ? NOTICES_PATH.exec(incoming.url ?? '')?.[1] : undefined;
    if (accountId === undefined) return next(incoming, outgoing);
    const started = performance.now();
    const { headers } = incoming;
    const request = {
      accountId,
      authorization: authorizationOf(incoming),
      ifNoneMatch: headers['if-none-match'],
      origin: headers.origin,
      requestId: requestIdFor(headers['x-request-id'] as string | undefined),
      path: incoming.url ?? '',
    };
    const reply = answerNotices(deps, request);
    // Usually everything is in memory and the answer goes out in this very tick.
    if (!(reply instanceof Promise)) return send(deps, outgoing, request, reply, started);
    void reply.then((ready) => send(deps, outgoing, request, ready, started));
  };
}

/**
 * The Authorization header as the Hono app reads it. node:http keeps only the first of several
 * Authorization lines, where fetch's Headers join them (`Bearer a, Bearer b`), which no key
 * matches: the first alone would let a request through that the app refuses.
 */
function authorizationOf(incoming: IncomingMessage): string | undefined {
  const first = incoming.headers.authorization;
  if (first === undefined) return undefined;
  const raw = incoming.rawHeaders;
  const lines: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] ?? '';
    if (name.length === 13 && name.toLowerCase() === 'authorization') lines.push(raw[i + 1] ?? '');
  }
  return lines.length > 1 ? lines.join(', ') : first;
}

function send(
  deps: Deps,
  outgoing: ServerResponse,
  request: { requestId: string; path: string },
  reply: NoticesReply,
  started: number,
): void {
  // What the Hono app's middleware adds to a JSON answer: the request id and nosniff.
  reply.headers['x-request-id'] = request.requestId;
  reply.headers['x-content-type-options'] = 'nosniff';
  try {
    outgoing.writeHead(reply.status, reply.headers);
    outgoing.end(reply.body ?? undefined);
  } catch (error) {
    // The connection went away mid-answer: nothing more can be told to the client.
    outgoing.destroy(error instanceof Error ? error : undefined);
    return;
  }
  if (deps.logger.writes('info')) {
    logRequest(deps.logger, request.requestId, 'GET', request.path, reply.status, started);
  }
}
