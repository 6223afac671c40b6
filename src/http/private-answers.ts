import type { MiddlewareHandler } from 'hono';

const PRIVATE_PATH = /^\/(v1|console)(\/|$)/;
const NOTICES_PATH = /^\/v1\/accounts\/[^/]+\/notices(\/|$)/;

/** What an answer of the API or the console carries when its route sets no `Cache-Control`. */
const UNCACHED = 'no-store';

/**
 * The API's and the console's answers hold a workspace's own data (contacts' addresses, keys'
 * names, browser tokens): no cache, shared or the browser's, keeps one unless its route says
 * otherwise (the console's static assets). Without a `Cache-Control`, a proxy or a shared
 * machine's browser may keep them. The notices API is left as it answers (its own private
 * revalidation; its refusals hold no data), as its Node fast path answers it: with no-store
 * on its refusals, Chromium's embed tests saw polls that never finished (cause not found).
 */
export const privateAnswers: MiddlewareHandler = async (c, next) => {
  await next();
  if (!PRIVATE_PATH.test(c.req.path) || NOTICES_PATH.test(c.req.path)) return;
  // Through `c.res.headers`, as securityHeaders: `c.header` would rebuild the response.
  const headers = c.res.headers;
  if (!headers.has('cache-control')) headers.set('Cache-Control', UNCACHED);
};
