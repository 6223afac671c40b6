import type { Logger } from '../logger';

// Links sent by email carry a signed token in their path (an unsubscribe, a status
// subscription's confirmation): it names the address and acts for its owner. Matched wherever
// the path has such a segment, so a link a client or proxy mangled (`/status//subscriptions/…`,
// which answers 404) is not logged whole either.
const TOKEN_SEGMENT = /(\/(?:unsubscribe|confirm))\/+[^/]+/gi;

/** A request path as logs may keep it: with the token of an emailed link left out. */
export const loggablePath = (path: string) => path.replace(TOKEN_SEGMENT, '$1/[token]');

/** One info line per answered request; the Hono app and the Node notices fast path share it. */
export function logRequest(
  logger: Logger,
  requestId: string,
  method: string,
  path: string,
  status: number,
  startedAt: number,
): void {
  logger.info('request', {
    request_id: requestId,
    method,
    path: loggablePath(path),
    status,
    ms: Math.round(performance.now() - startedAt),
  });
}
