import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from './app-env';

export const REQUEST_ID_HEADER = 'X-Request-Id';
const SAFE_REQUEST_ID = /^[\w\-=]{1,255}$/;

/** The caller's request id when it is a short plain token (safe to log), else a new one. */
export function requestIdFor(sent: string | undefined): string {
  return sent !== undefined && SAFE_REQUEST_ID.test(sent) ? sent : crypto.randomUUID();
}

/** Names every request, in `c.var.requestId` and the answer's `X-Request-Id`. */
export const requestId: MiddlewareHandler<AppEnv> = async (c, next) => {
  const id = requestIdFor(c.req.header(REQUEST_ID_HEADER));
  c.set('requestId', id);
  c.header(REQUEST_ID_HEADER, id);
  await next();
};
