import { z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { base64url, fromBase64url } from '../lib/base64url';
import type { AppEnv } from './app-env';
import { AppError } from './app-error';
import { wholeNumberInput } from './number-input';

const NOT_ISSUED = 'Not a cursor this API issued: pass the `next_cursor` of the previous page.';
const CURSOR_DESCRIPTION = 'The `next_cursor` of the previous page (opaque).';

/**
 * A list route's cursors travel signed, `<cursor>.<signature>`, the signature over the route's
 * path and the cursor: one comes back only as the API issued it, to the list that issued it.
 * `defineRoute` puts this before validation on every route whose query takes a `cursor`; the
 * `next_cursor` the route answers with is signed on its way out.
 */
export const signedCursors: MiddlewareHandler<AppEnv> = async (c, next) => {
  const { deps, cursorSeal } = c.var;
  const presented = c.req.query('cursor');
  if (presented !== undefined) {
    const [cursor, signature, ...rest] = presented.split('.');
    const issued =
      cursor &&
      signature &&
      rest.length === 0 &&
      (await cursorSeal.verify(deps, `${c.req.path}\n${cursor}`, signature));
    if (!issued) {
      throw new AppError('validation_failed', '1 invalid field in the request query.', [
        { location: 'query', path: 'cursor', message: NOT_ISSUED },
      ]);
    }
  }
  await next();
  const type = c.res.headers.get('content-type');
  if (c.res.status !== 200 || !type?.startsWith('application/json')) return;
  const page = (await c.res.json()) as { next_cursor?: unknown };
  if (typeof page.next_cursor === 'string') {
    const signature = await cursorSeal.sign(deps, `${c.req.path}\n${page.next_cursor}`);
    page.next_cursor = `${page.next_cursor}.${signature}`;
  }
  const headers = new Headers(c.res.headers);
  headers.delete('content-length');
  c.res = new Response(JSON.stringify(page), { status: 200, headers });
};

/**
 * A cursor as `inner` reads it: the part before its signature, which `signedCursors` checked.
 * The console hands out the services' cursors unsigned, and reads them with the same schemas.
 */
const unsigned = (cursor: string) => cursor.split('.')[0] ?? '';

/** Keyset pagination over time-ordered UUIDv7 ids: stable under inserts, cheap at any depth. */
export const PageQuerySchema = z.object({
  limit: wholeNumberInput(1, 200).default(50).openapi({ example: 50 }),
  cursor: z
    .string()
    .max(1000)
    .transform(unsigned)
    .pipe(z.uuid({ message: NOT_ISSUED }))
    .optional()
    .openapi({ type: 'string', description: CURSOR_DESCRIPTION }),
});

export type PageQuery = z.infer<typeof PageQuerySchema>;

const KEY_CURSOR_PREFIX = 'k1:';

/**
 * Lists ordered by a natural key (a slug, an account id, an address) hand out opaque cursors, so
 * a malformed one is a 400 rather than a silently empty page.
 */
export function encodeKeyCursor(key: string): string {
  return base64url(new TextEncoder().encode(KEY_CURSOR_PREFIX + key));
}

function decodeKeyCursor(cursor: string): string | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) return undefined;
  let decoded: string;
  try {
    decoded = new TextDecoder('utf-8', { fatal: true }).decode(fromBase64url(cursor));
  } catch {
    return undefined;
  }
  if (!decoded.startsWith(KEY_CURSOR_PREFIX)) return undefined;
  const key = decoded.slice(KEY_CURSOR_PREFIX.length);
  return key.length > 0 && encodeKeyCursor(key) === cursor ? key : undefined;
}

export const keyCursorSchema = z
  .string()
  .max(1000)
  .transform((cursor, ctx) => {
    const key = decodeKeyCursor(unsigned(cursor));
    if (key === undefined) {
      ctx.addIssue({ code: 'custom', message: NOT_ISSUED });
      return z.NEVER;
    }
    return key;
  })
  .openapi({ type: 'string', description: CURSOR_DESCRIPTION });

export const pageSchema = <T extends z.ZodType>(item: T) =>
  z.object({
    data: z.array(item),
    next_cursor: z.string().nullable().openapi({ description: 'Null on the last page.' }),
  });

export type Page<T> = { data: T[]; next_cursor: string | null };

/**
 * Callers fetch `limit + 1` rows; the extra one only tells whether another page exists. The
 * cursor is the last row's `id` unless `cursorOf` says otherwise.
 */
export function toPage<T extends { id: string }>(rows: T[], limit: number): Page<T>;
export function toPage<T>(rows: T[], limit: number, cursorOf: (row: T) => string): Page<T>;
export function toPage<T extends { id?: unknown }>(
  rows: T[],
  limit: number,
  cursorOf: (row: T) => string = (row) => String(row.id),
): Page<T> {
  const data = rows.slice(0, limit);
  const last = data.at(-1);
  return { data, next_cursor: rows.length > limit && last !== undefined ? cursorOf(last) : null };
}
