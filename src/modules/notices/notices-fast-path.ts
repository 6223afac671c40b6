import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Deps } from '../../deps';
import { matchesEtag } from '../../http/etag';
import { asAppError, problemAnswer } from '../../http/problem';
import { requestIdFor } from '../../http/request-id';
import { logRequest } from '../../http/request-log';
import { accountCaller } from '../auth/require-role';
import { NOTICE_READERS, NOTICES_CACHE_CONTROL, noticesFor } from './notices.service';

export type NodeListener = (incoming: IncomingMessage, outgoing: ServerResponse) => void;

/**
 * `/v1/accounts/{id}/notices` whose id reads the same decoded: printable ASCII without
 * `#`, `%`, `/` and `?`. Other ids are left to Hono, which decodes them.
 */
const NOTICES_PATH =
  /^\/v1\/accounts\/([\x21\x22\x24\x26-\x2e\x30-\x3e\x40-\x7e]{1,200})\/notices$/;

/**
 * Node: answers `GET /v1/accounts/{id}/notices` straight from node:http, ahead of the Hono
 * app. Every product app polls this route, and Hono's per-request Request, Headers, Context
 * and middleware cost it about half its throughput (bench:notices). The answer is the one
 * the Hono route gives, from the same service, checks and headers (a test compares the two).
 * Requests with a query string or an `Origin` (CORS) go to `next`, the Hono app, as does
 * any failure that is not a problem answer, so it is logged and answered there.
 */
export function withNoticesFastPath(deps: Deps, next: NodeListener): NodeListener {
  return (incoming, outgoing) => {
    const accountId =
      incoming.method === 'GET' && incoming.headers.origin === undefined
        ? NOTICES_PATH.exec(incoming.url ?? '')?.[1]
        : undefined;
    if (accountId === undefined) return next(incoming, outgoing);
    answerNotices(deps, incoming, outgoing, accountId).catch((error: unknown) => {
      if (outgoing.headersSent) outgoing.destroy(error as Error);
      else next(incoming, outgoing);
    });
  };
}

async function answerNotices(
  deps: Deps,
  incoming: IncomingMessage,
  outgoing: ServerResponse,
  accountId: string,
): Promise<void> {
  const started = performance.now();
  const requestId = requestIdFor(incoming.headers['x-request-id'] as string | undefined);
  // What the Hono app's middleware adds to a JSON answer: the request id and nosniff.
  let headers: OutgoingHttpHeaders = {
    'x-request-id': requestId,
    'x-content-type-options': 'nosniff',
  };
  let status: number;
  let body: string | undefined;
  try {
    const caller = await accountCaller(
      deps,
      incoming.headers.authorization,
      NOTICE_READERS,
      accountId,
    );
    const answer = await noticesFor(deps, accountId, {
      tokenGeneration: 'accountToken' in caller ? caller.accountToken.generation : undefined,
    });
    headers['cache-control'] = NOTICES_CACHE_CONTROL;
    headers.etag = answer.etag;
    if (matchesEtag(incoming.headers['if-none-match'], answer.etag)) {
      status = 304;
    } else {
      status = 200;
      headers['content-type'] = 'application/json';
      body = answer.body();
    }
  } catch (error) {
    const known = asAppError(error);
    if (!known) throw error;
    const problem = problemAnswer(known, requestId);
    headers = { ...headers, ...problem.headers };
    status = problem.status;
    body = problem.body;
  }
  outgoing.writeHead(status, headers);
  outgoing.end(body);
  if (deps.logger.writes('info')) {
    logRequest(deps.logger, requestId, 'GET', incoming.url ?? '', status, started);
  }
}
