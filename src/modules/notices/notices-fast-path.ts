import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Deps } from '../../deps';
import { matchesEtag } from '../../http/etag';
import { asAppError, problemAnswer } from '../../http/problem';
import { requestIdFor } from '../../http/request-id';
import { logRequest } from '../../http/request-log';
import { andThen, type MaybePromise } from '../../lib/maybe-promise';
import { accountCaller } from '../auth/require-role';
import {
  type AccountNotices,
  NOTICE_READERS,
  NOTICES_CACHE_CONTROL,
  noticesFor,
} from './notices.service';

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
    const exchange: Exchange = {
      deps,
      next,
      incoming,
      outgoing,
      requestId: requestIdFor(incoming.headers['x-request-id'] as string | undefined),
      started: performance.now(),
    };
    let answer: MaybePromise<AccountNotices>;
    try {
      answer = andThen(
        accountCaller(deps, incoming.headers.authorization, NOTICE_READERS, accountId),
        (caller) =>
          noticesFor(deps, accountId, {
            tokenGeneration: 'accountToken' in caller ? caller.accountToken.generation : undefined,
          }),
      );
    } catch (error) {
      return finish(exchange, undefined, error);
    }
    // Usually everything is in memory and the answer goes out in this very tick.
    if (!(answer instanceof Promise)) return finish(exchange, answer);
    answer.then(
      (ready) => finish(exchange, ready),
      (error: unknown) => finish(exchange, undefined, error),
    );
  };
}

/**
 * What `finish` needs of one request. `finish` is a module function, not a closure made per
 * request: tsx, which `npm start` runs under, wraps every named closure in a `__name` call,
 * which was a visible share of this path's time.
 */
type Exchange = {
  deps: Deps;
  next: NodeListener;
  incoming: IncomingMessage;
  outgoing: ServerResponse;
  requestId: string;
  started: number;
};

function finish(exchange: Exchange, answer: AccountNotices | undefined, error?: unknown): void {
  const { deps, next, incoming, outgoing, requestId } = exchange;
  try {
    // What the Hono app's middleware adds to a JSON answer: the request id and nosniff.
    const headers: OutgoingHttpHeaders = {
      'x-request-id': requestId,
      'x-content-type-options': 'nosniff',
    };
    let status: number;
    if (answer) {
      status = sendNotices(outgoing, headers, answer, incoming.headers['if-none-match']);
    } else {
      const problem = asAppError(error);
      // Anything but a problem answer goes to Hono, which logs it and answers 500.
      if (!problem) {
        next(incoming, outgoing);
        return;
      }
      status = sendProblem(outgoing, headers, problemAnswer(problem, requestId));
    }
    if (deps.logger.writes('info')) {
      logRequest(deps.logger, requestId, 'GET', incoming.url ?? '', status, exchange.started);
    }
  } catch (failure) {
    if (outgoing.headersSent) outgoing.destroy(failure as Error);
    else next(incoming, outgoing);
  }
}

function sendNotices(
  outgoing: ServerResponse,
  headers: OutgoingHttpHeaders,
  answer: AccountNotices,
  ifNoneMatch: string | undefined,
): number {
  headers['cache-control'] = NOTICES_CACHE_CONTROL;
  headers.etag = answer.etag;
  if (matchesEtag(ifNoneMatch, answer.etag)) {
    outgoing.writeHead(304, headers);
    outgoing.end();
    return 304;
  }
  headers['content-type'] = 'application/json';
  // Known ahead, so node:http need not measure the body.
  headers['content-length'] = answer.bodyBytes;
  outgoing.writeHead(200, headers);
  outgoing.end(answer.body());
  return 200;
}

function sendProblem(
  outgoing: ServerResponse,
  headers: OutgoingHttpHeaders,
  problem: ReturnType<typeof problemAnswer>,
): number {
  outgoing.writeHead(problem.status, { ...headers, ...problem.headers });
  outgoing.end(problem.body);
  return problem.status;
}
