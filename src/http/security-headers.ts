import type { MiddlewareHandler } from 'hono';
import { secureHeaders } from 'hono/secure-headers';

// overwrite: false lets a route that must differ (an embeddable script) set its own.
const documentHeaders = secureHeaders({ overwrite: false });
const nothingMore = async () => {};

/**
 * Hono's protections for what a browser renders (framing, opener, referrer and resource
 * policies, HSTS…) on every document; answers with no document to render (JSON, problem+json,
 * 304) get `nosniff`, which is what matters for them. The full set is two dozen header
 * operations per response, which the notices API measurably felt (bench:notices).
 */
export const securityHeaders: MiddlewareHandler = async (c, next) => {
  await next();
  // Through `c.res.headers`: `c.header` on a finished response rebuilds it from its body,
  // which costs Node's fast path for string bodies.
  const headers = c.res.headers;
  const type = headers.get('content-type');
  if (type === null || type.includes('json')) headers.set('X-Content-Type-Options', 'nosniff');
  else {
    await documentHeaders(c, nothingMore);
    // A browser that knows no frame-ancestors obeys X-Frame-Options alone, which would refuse
    // a page its policy lets other sites frame (the status page).
    if (framedByOtherSites(headers.get('content-security-policy'))) {
      headers.delete('X-Frame-Options');
    }
  }
};

/** Whether a policy's frame-ancestors names any source beyond 'none' and 'self'. */
function framedByOtherSites(policy: string | null): boolean {
  const directive = policy
    ?.split(';')
    .map((part) => part.trim().split(/\s+/))
    .find(([name]) => name?.toLowerCase() === 'frame-ancestors');
  return (directive?.slice(1) ?? []).some(
    (source) => !["'none'", "'self'"].includes(source.toLowerCase()),
  );
}

/**
 * Sets `policy` as the Content-Security-Policy of the HTML documents a router answers with;
 * its other answers (scripts, stylesheets, JSON, redirects) need none.
 */
export function documentPolicy(policy: string): MiddlewareHandler {
  return async (c, next) => {
    await next();
    if (c.res.headers.get('content-type')?.startsWith('text/html')) {
      c.res.headers.set('Content-Security-Policy', policy);
    }
  };
}
