import { z } from '@hono/zod-openapi';

/** Keyset pagination over time-ordered UUIDv7 ids: stable under inserts, cheap at any depth. */
export const PageQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50).openapi({ example: 50 }),
  cursor: z.uuid().optional().openapi({ description: 'The `next_cursor` of the previous page.' }),
});

export type PageQuery = z.infer<typeof PageQuerySchema>;

export const pageSchema = <T extends z.ZodType>(item: T) =>
  z.object({
    data: z.array(item),
    next_cursor: z.string().nullable().openapi({ description: 'Null on the last page.' }),
  });

export type Page<T> = { data: T[]; next_cursor: string | null };

/** Callers fetch `limit + 1` rows; the extra one only tells whether another page exists. */
export function toPage<T>(
  rows: T[],
  limit: number,
  cursorOf: (row: T) => string = (row) => (row as { id: string }).id,
): Page<T> {
  const data = rows.slice(0, limit);
  const last = data.at(-1);
  return { data, next_cursor: rows.length > limit && last !== undefined ? cursorOf(last) : null };
}
