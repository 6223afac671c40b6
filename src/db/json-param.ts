import { type SQL, sql } from 'drizzle-orm';

/**
 * Passes a whole batch as one jsonb parameter (read back with jsonb_to_recordset), so a
 * 5,000-row batch is one bind parameter instead of tens of thousands, on both drivers.
 */
export function jsonParam(value: unknown): SQL {
  return sql`${JSON.stringify(value)}::jsonb`;
}

/** Rows of a raw `execute`, which postgres.js returns as an array and PGlite as `{ rows }`. */
export function rowsOf<T>(result: unknown): T[] {
  return (Array.isArray(result) ? result : (result as { rows: T[] }).rows) as T[];
}
