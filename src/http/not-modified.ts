import type { Context, TypedResponse } from 'hono';
import { matchesEtag } from './etag';

/**
 * A GET answer with a validator: `etag` on it, and a 304 with no body when the request's
 * `If-None-Match` names it, else `fresh()`, made only then. The headers set on `c` before
 * (Cache-Control, CORS) go out on either, as RFC 9110 §15.4.5 asks of a 304.
 */
export function unlessNotModified<R extends Response>(
  c: Context,
  etag: string,
  fresh: () => R,
): R | (Response & TypedResponse<null, 304, 'body'>) {
  c.header('ETag', etag);
  if (matchesEtag(c.req.header('if-none-match'), etag)) return c.body(null, 304);
  return fresh();
}
