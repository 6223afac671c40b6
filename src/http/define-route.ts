import { createRoute, type RouteConfig, z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import type { Role } from '../db/schema';
import type { AppEnv, RoleAccess } from './app-env';
import { limitBody } from './body-limit';
import { withinDeadline } from './deadline';
import { idempotent } from './idempotency';
import { readIfMatch } from './if-match';
import { signedCursors } from './pagination';
import { PROBLEM_CONTENT_TYPE, ProblemSchema } from './problem';
import { acceptMediaTypes, safeJsonBody } from './request-input';
import { strictBody } from './strict-body';

export type RouteAccess =
  | 'public'
  /** With `accountToken`, a browser token for the account in the path is accepted too. */
  | RoleAccess
  /** Public, but the request must carry a valid signature (webhooks); checked before parsing. */
  | { signedBy: MiddlewareHandler<AppEnv> };

const IdempotencyHeaders = z.object({
  'idempotency-key': z
    .string()
    .min(1)
    .max(255)
    .optional()
    .openapi({
      description:
        'Send the same key when retrying: the first answer is replayed (24 h) instead of the ' +
        'work being done twice.',
      example: '4f0c1f3e-campaign-launch',
    }),
});

const IfMatchHeaders = z.object({
  'if-match': z
    .string()
    .optional()
    .openapi({
      description:
        'Change only the version read: the `ETag` of the GET (or of the last write) it was ' +
        'read from, exactly as it came (an event’s or an incident’s is its version, `"3"`; a ' +
        'campaign’s or a maintenance’s its version and status, `"3-active"`, ' +
        '`"3-in_progress"`), a comma-separated list of them, or `*` for any. ' +
        'A stored version it does ' +
        'not name (compared strongly: a weak `W/"…"` tag never matches) is a 412 ' +
        '`precondition_failed` and nothing changes. Without it the write is unconditional.',
      example: '"3"',
    }),
});

/** The `ETag` header of an answer carrying one versioned resource. */
export const etagHeader = {
  ETag: {
    description:
      'A strong validator of this answer: send it as `If-None-Match` to get a 304 while it ' +
      'is unchanged, and as `If-Match` to change only what it names.',
    schema: { type: 'string' as const, example: '"3"' },
  },
};

/**
 * The `ETag` header of an answer whose resource has a version, but whose body shows more than
 * the version counts (an incident's answer shows its components as they are now): for
 * `If-Match`, not for `If-None-Match`.
 */
export const versionEtagHeader = {
  ETag: {
    description:
      'A strong validator naming the version stored: send it as `If-Match` to change only ' +
      'what it names.',
    schema: { type: 'string' as const, example: '"3"' },
  },
};

/** The `ETag` header of a read-only answer that a client revalidates with `If-None-Match`. */
export const answerEtagHeader = {
  ETag: {
    description:
      'A strong validator of this answer: send it as `If-None-Match` to get a 304 while it ' +
      'is unchanged.',
    schema: { type: 'string' as const, example: '"pVj3OaRr5u2Ki1aFmBvbjCuq"' },
  },
};

// A plain OpenAPI parameter, not a zod header schema: nothing about it is ever refused, so it
// needs no validator (the notices GET is the hottest route).
const IfNoneMatchParameter = {
  name: 'if-none-match',
  in: 'header' as const,
  required: false,
  description:
    'The `ETag` of the answer held (or a comma-separated list of them, or `*`): while the ' +
    'answer still has it, a 304 with no body. Compared weakly, so `W/"…"` matches too. A ' +
    'value that is not `*` or a list of quoted entity-tags is ignored: the full answer comes.',
  schema: { type: 'string' as const, example: '"3"' },
};

/** The 304 of a GET that compares `If-None-Match` with the `ETag` it would answer with. */
export const notModifiedResponse = {
  description:
    'Unchanged since the `ETag` sent in `If-None-Match`; no body, no `Content-Type`, and the ' +
    'ETag and caching headers the 200 would carry.',
  headers: {
    ETag: { description: 'The ETag the 200 would carry.', schema: { type: 'string' as const } },
  },
};

/** A JSON request or response body of this schema. */
export const json = <T extends z.ZodType>(schema: T) => ({ 'application/json': { schema } });

export const problemResponse = (description: string) => ({
  description,
  content: { [PROBLEM_CONTENT_TYPE]: { schema: ProblemSchema } },
});

/** A `revalidated` route's config as its handler sees it: one that may answer 304. */
type WithNotModified<R extends RouteConfig> = R extends { revalidated: true }
  ? Omit<R, 'responses'> & { responses: R['responses'] & { 304: typeof notModifiedResponse } }
  : R;

type RouteOptions = {
  access: RouteAccess;
  /** The handler reads the body as a stream and applies its own limit (`limitStream`). */
  bodyHandling?: 'stream';
  /** Honours `Idempotency-Key` (routes that create something, and a few changes). */
  idempotent?: true;
  /**
   * Honours `If-Match` (writes of one versioned resource): read into `c.var.ifMatch`, for the
   * service to compare with the row it locks (`requireIfMatch`).
   */
  conditional?: true;
  /**
   * Honours `If-None-Match` (a GET answered with an `ETag`, through `unlessNotModified`):
   * documents the header and the 304.
   */
  revalidated?: true;
  /**
   * The handler checks `access` itself, in an answer shared with another transport (the
   * notices API); the route still documents it.
   */
  accessCheckedByHandler?: true;
};

/**
 * `createRoute` plus the two things every forestall route repeats: who may call it (enforced
 * by middleware and documented as a security requirement) and the problem+json responses
 * that the shared middleware and error handler can produce for it. Handlers stay typed by the
 * route's own config (R): the responses added here come from the middleware and onError,
 * never from a handler, but for the 304 of a `revalidated` route (`unlessNotModified`).
 */
export function defineRoute<R extends RouteConfig>(
  route: R & RouteOptions,
): WithNotModified<R> & { getRoutingPath(): string };
export function defineRoute(route: RouteConfig & RouteOptions) {
  const {
    access,
    bodyHandling,
    idempotent: honoursIdempotencyKey,
    conditional,
    revalidated,
    accessCheckedByHandler,
    ...config
  } = route;
  const byRole = typeof access === 'object' && 'roles' in access ? access : undefined;
  const bySignature = typeof access === 'object' && 'signedBy' in access ? access : undefined;
  const takesInput = Boolean(config.request);
  const takesBody = Boolean(config.request?.body);
  const mediaTypes = Object.keys(config.request?.body?.content ?? {});
  const takesJson = mediaTypes.includes('application/json');
  const query = config.request?.query;
  const paginated = query instanceof z.ZodObject && 'cursor' in query.shape;
  // Order matters: an API key is checked before any body is read, the size and media type
  // before a signature (which reads the body), and only then is the body parsed.
  const middleware = [
    ...(bodyHandling === 'stream' ? [] : [withinDeadline]),
    ...(byRole && !accessCheckedByHandler ? [guarded(byRole)] : []),
    ...(paginated ? [signedCursors] : []),
    ...(takesBody && bodyHandling !== 'stream' ? [limitBody] : []),
    ...(takesBody ? [acceptMediaTypes(mediaTypes)] : []),
    ...(bySignature ? [bySignature.signedBy] : []),
    ...(takesJson ? [safeJsonBody] : []),
    // Before the key is claimed: an unreadable If-Match is not kept as the key's answer.
    ...(conditional ? [readIfMatch] : []),
    ...(honoursIdempotencyKey ? [idempotent] : []),
  ];
  const headers = [
    ...(honoursIdempotencyKey ? [IdempotencyHeaders] : []),
    ...(conditional ? [IfMatchHeaders] : []),
  ].reduce<z.ZodObject | undefined>(
    (all, more) => (all ? all.extend(more.shape) : more),
    undefined,
  );
  const request = config.request && {
    ...config.request,
    ...(takesJson ? { body: closedJsonBody(config.request.body) } : {}),
    ...(headers ? { headers } : {}),
  };
  return createRoute({
    ...config,
    ...(revalidated
      ? {
          parameters: [
            ...(config.parameters ?? []),
            IfNoneMatchParameter,
          ] as RouteConfig['parameters'],
        }
      : {}),
    ...(request ? { request } : {}),
    ...(middleware.length > 0 ? { middleware } : {}),
    ...(byRole
      ? { security: [{ apiKey: [] }, ...(byRole.accountToken ? [{ accountToken: [] }] : [])] }
      : {}),
    responses: {
      ...(takesInput ? { 400: problemResponse('Invalid request: each bad field is listed.') } : {}),
      ...(byRole
        ? {
            401: problemResponse('Missing, unknown or revoked API key.'),
            403: problemResponse(`The API key's role is not allowed; needs ${roleList(byRole)}.`),
          }
        : {}),
      ...(bySignature ? { 401: problemResponse('Missing or wrong signature.') } : {}),
      ...(honoursIdempotencyKey
        ? {
            409: problemResponse('A request with this Idempotency-Key is still running.'),
            422: problemResponse('This Idempotency-Key was used for a different request.'),
          }
        : {}),
      ...(conditional
        ? {
            412: problemResponse(
              'The stored version is not one If-Match names: it changed since it was read; ' +
                'nothing was changed.',
            ),
          }
        : {}),
      ...(takesBody
        ? {
            413: problemResponse('The request body is too large.'),
            415: problemResponse(`The body is not ${mediaTypes.join(' or ')}.`),
          }
        : {}),
      ...(revalidated ? { 304: notModifiedResponse } : {}),
      500: problemResponse('Unexpected error; quote `instance` when reporting it.'),
      503: problemResponse(
        'The database is unavailable, or the request ran out of time; retry after `Retry-After`.',
      ),
      ...config.responses,
    },
  });
}

/** Runs the app's access guard (auth's) for `access` before the rest of the route. */
function guarded(access: RoleAccess): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    await c.var.guard(c, access);
    await next();
  };
}

/** The JSON body's schema with every object closed to keys it does not name (`strictBody`). */
function closedJsonBody(body: NonNullable<RouteConfig['request']>['body']) {
  const jsonBody = body?.content['application/json'];
  if (!body || !jsonBody || !('schema' in jsonBody) || !jsonBody.schema) return body;
  const schema = parsedSynchronously(strictBody(jsonBody.schema as z.ZodType));
  return { ...body, content: { ...body.content, 'application/json': { ...jsonBody, schema } } };
}

const parsedSync = new WeakSet<z.ZodType>();

/**
 * The route's validator (@hono/zod-validator) parses with `safeParseAsync`, which turns off
 * zod's compiled object parsers: a 5,000-ticket batch took 23 ms of CPU that way, 9.5 ms
 * parsed synchronously. The answer is the same either way; a schema that turns out to need
 * async parsing (none does) is parsed again the async way.
 */
function parsedSynchronously(schema: z.ZodType): z.ZodType {
  // Routes share body schemas (strictBody keeps one closed copy of each): changed once.
  if (parsedSync.has(schema)) return schema;
  parsedSync.add(schema);
  const parseAsync = schema.safeParseAsync.bind(schema);
  schema.safeParseAsync = async (data, params) => {
    try {
      return schema.safeParse(data, params);
    } catch (error) {
      if (error instanceof z.core.$ZodAsyncError) return parseAsync(data, params);
      throw error;
    }
  };
  return schema;
}

function roleList(access: { roles: readonly Role[] }): string {
  return [...access.roles, 'admin'].filter((role, i, all) => all.indexOf(role) === i).join(', ');
}
