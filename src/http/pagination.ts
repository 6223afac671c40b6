import { z } from '@hono/zod-openapi';
import { base64url, fromBase64url } from '../lib/base64url';
import { wholeNumberInput } from './number-input';

/** Keyset pagination over time-ordered UUIDv7 ids: stable under inserts, cheap at any depth. */
export const PageQuerySchema = z.object({
  limit: wholeNumberInput(1, 200).default(50).openapi({ example: 50 }),
  cursor: z
    .uuid({ message: 'Not a cursor this API issued: pass the `next_cursor` of the previous page.' })
    .optional()
    .openapi({ description: 'The `next_cursor` of the previous page.' }),
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
    const key = decodeKeyCursor(cursor);
    if (key === undefined) {
      ctx.addIssue({
        code: 'custom',
        message: 'Not a cursor this API issued: pass the `next_cursor` of the previous page.',
      });
      return z.NEVER;
    }
    return key;
  })
  .openapi({ type: 'string', description: 'The `next_cursor` of the previous page (opaque).' });

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
