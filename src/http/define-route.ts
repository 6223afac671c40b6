import { createRoute, type RouteConfig } from '@hono/zod-openapi';
import type { Role } from '../db/schema';
import { requireRole } from '../modules/auth/require-role';
import { limitBody } from './body-limit';
import { PROBLEM_CONTENT_TYPE, ProblemSchema } from './problem';

export type RouteAccess = 'public' | { roles: readonly Role[] };

export const problemResponse = (description: string) => ({
  description,
  content: { [PROBLEM_CONTENT_TYPE]: { schema: ProblemSchema } },
});

/**
 * `createRoute` plus the two things every forestall route repeats: who may call it (enforced
 * by middleware and documented as a security requirement) and the problem+json responses
 * that the shared middleware and error handler can produce for it.
 */
export function defineRoute<R extends RouteConfig>(
  route: R & {
    access: RouteAccess;
    /**
     * `stream`: the handler reads the body as a stream and applies its own limit
     * (`limitStream`). `raw`: the handler reads the exact bytes itself (to check a signature
     * before parsing), so the body is not validated up front but is still size-limited.
     */
    bodyHandling?: 'stream' | 'raw';
  },
) {
  const { access, bodyHandling, ...config } = route;
  const authenticated = access !== 'public';
  const takesInput = Boolean(config.request) || bodyHandling === 'raw';
  const takesBody = Boolean(config.request?.body) || bodyHandling === 'raw';
  const middleware = [
    ...(authenticated ? [requireRole(access.roles)] : []),
    ...(takesBody && bodyHandling !== 'stream' ? [limitBody] : []),
  ];
  // Handlers stay typed by the route's own responses: the added ones are produced by the
  // middleware and onError, never returned by a handler.
  return createRoute({
    ...config,
    ...(middleware.length > 0 ? { middleware } : {}),
    ...(authenticated ? { security: [{ apiKey: [] }] } : {}),
    responses: {
      ...(takesInput ? { 400: problemResponse('Invalid request: each bad field is listed.') } : {}),
      ...(authenticated
        ? {
            401: problemResponse('Missing, unknown or revoked API key.'),
            403: problemResponse(`The API key's role is not allowed; needs ${roleList(access)}.`),
          }
        : {}),
      ...(takesBody ? { 413: problemResponse('The request body is too large.') } : {}),
      500: problemResponse('Unexpected error; quote `instance` when reporting it.'),
      ...config.responses,
    },
  }) as unknown as R & { getRoutingPath(): string };
}

function roleList(access: { roles: readonly Role[] }): string {
  return [...access.roles, 'admin'].filter((role, i, all) => all.indexOf(role) === i).join(', ');
}
