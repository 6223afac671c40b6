import type { StatusCode } from 'hono/utils/http-status';
import type { Deps } from '../../deps';
import { matchesEtag } from '../../http/etag';
import { answerableError, problemAnswer } from '../../http/problem';
import type { MaybePromise } from '../../lib/maybe-promise';
import { type AccountCaller, accountCaller, accountCallerInMemory } from '../auth/require-role';
import {
  type AccountNotices,
  NOTICE_READERS,
  NOTICES_CACHE_CONTROL,
  noticesFor,
} from './notices.service';

/** A notices request, as any transport reads it. */
export type NoticesRequest = {
  accountId: string;
  locale?: string;
  authorization: string | undefined;
  ifNoneMatch: string | undefined;
  /** Set by browsers calling from another origin (`/embed.js`). */
  origin: string | undefined;
  requestId: string;
  /** What the request is logged as, should it fail. */
  path: string;
};

/** The whole answer: a transport only writes it out. */
export type NoticesReply = {
  status: StatusCode;
  headers: Record<string, string>;
  body: string | null;
};

/**
 * What browsers may read of an answer, for origins in CORS_ORIGINS (as the CORS preflight):
 * `Retry-After` too, so a page told 503 can wait as long as it is asked to.
 */
export const NOTICES_EXPOSED_HEADERS = 'ETag,Retry-After,X-Request-Id';

/**
 * The one answer to `GET /v1/accounts/{id}/notices`, for the Hono route and the Node adapter
 * alike: access checked, 200 or 304, CORS for browsers, and every failure as its problem
 * (logged as the app logs it). Usually the caller, the account and the live notices are all
 * in memory, and the reply comes back at once rather than as a promise: every product app
 * polls this route, and a promise per request is a measurable share of its cost. Never
 * rejects.
 */
export function answerNotices(deps: Deps, request: NoticesRequest): MaybePromise<NoticesReply> {
  let notices: MaybePromise<AccountNotices>;
  try {
    const { authorization, accountId } = request;
    const known = accountCallerInMemory(deps, authorization, NOTICE_READERS, accountId);
    notices = known
      ? noticesForCaller(deps, request, known)
      : accountCaller(deps, authorization, NOTICE_READERS, accountId).then((caller) =>
          noticesForCaller(deps, request, caller),
        );
  } catch (error) {
    return failed(deps, request, error);
  }
  if (!(notices instanceof Promise)) return replied(deps, request, notices);
  return notices.then(
    (ready) => replied(deps, request, ready),
    (error: unknown) => failed(deps, request, error),
  );
}

function noticesForCaller(
  deps: Deps,
  request: NoticesRequest,
  caller: AccountCaller,
): MaybePromise<AccountNotices> {
  return noticesFor(deps, request.accountId, {
    locale: request.locale,
    tokenGeneration: 'accountToken' in caller ? caller.accountToken.generation : undefined,
  });
}

function replied(deps: Deps, request: NoticesRequest, notices: AccountNotices): NoticesReply {
  const headers = corsHeaders(deps, request.origin, {
    'cache-control': NOTICES_CACHE_CONTROL,
    etag: notices.etag,
  });
  if (matchesEtag(request.ifNoneMatch, notices.etag)) return { status: 304, headers, body: null };
  headers['content-type'] = 'application/json';
  headers['content-length'] = String(notices.bodyBytes);
  return { status: 200, headers, body: notices.body() };
}

function failed(deps: Deps, request: NoticesRequest, error: unknown): NoticesReply {
  const problem = answerableError(deps.logger, error, { ...request, method: 'GET' });
  const { status, headers, body } = problemAnswer(problem, request.requestId);
  return { status, headers: corsHeaders(deps, request.origin, headers), body };
}

/** As the CORS middleware answers a simple request: the origin if it is allowed, always Vary. */
export function corsHeaders(
  deps: Deps,
  origin: string | undefined,
  headers: Record<string, string>,
): Record<string, string> {
  if (origin === undefined) return headers;
  if (deps.config.corsOrigins.includes(origin)) headers['access-control-allow-origin'] = origin;
  headers['access-control-expose-headers'] = NOTICES_EXPOSED_HEADERS;
  headers.vary = 'Origin';
  return headers;
}
