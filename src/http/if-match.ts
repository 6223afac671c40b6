import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from './app-env';
import { AppError } from './app-error';
import { type IfMatch, ifMatchHolds, parseEntityTags } from './etag';

/**
 * Reads `If-Match` for a route that honours it (`c.var.ifMatch`; unset without one). One it
 * cannot read is a 400 before anything else reads the request: an `Idempotency-Key` sent with
 * it is not claimed, so the same key with a corrected header runs.
 */
export const readIfMatch: MiddlewareHandler<AppEnv> = async (c, next) => {
  const header = c.req.header('if-match');
  if (header !== undefined) {
    const ifMatch = parseEntityTags(header);
    if (ifMatch === null) {
      throw new AppError('validation_failed', 'The If-Match header is not valid.', [
        {
          location: 'header',
          path: 'If-Match',
          message: 'must be * or a comma-separated list of entity-tags, such as "3"',
        },
      ]);
    }
    c.set('ifMatch', ifMatch);
  }
  await next();
};

/**
 * Refuses a write whose `If-Match` no longer names what is stored (`etag`, read with the row
 * locked), with 412; without `If-Match` there is nothing to refuse.
 */
export function requireIfMatch(ifMatch: IfMatch | undefined, etag: string, what: string): void {
  if (ifMatch === undefined || ifMatchHolds(ifMatch, etag)) return;
  // A weak copy of the stored tag (a proxy may have marked it so) would fail again however
  // often it is read afresh: say so rather than that the resource changed.
  if (ifMatch.includes(`W/${etag}`)) {
    throw new AppError(
      'precondition_failed',
      `${what} is at the version If-Match names, but W/${etag} is a weak tag, which If-Match ` +
        `never matches (the comparison is strong); nothing was saved. To write over that ` +
        `version, send ${etag}.`,
    );
  }
  throw new AppError(
    'precondition_failed',
    `${what} has changed since the version If-Match names; nothing was saved. Read it again ` +
      '(its ETag names the version now stored) and decide on the change from what it holds.',
  );
}
