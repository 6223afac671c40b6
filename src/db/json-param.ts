import { type SQL, sql } from 'drizzle-orm';

/**
 * Passes a whole batch as one jsonb parameter (read back with jsonb_to_recordset), so a
 * 5,000-row batch is one bind parameter instead of tens of thousands, on both drivers.
 */
export function jsonParam(value: unknown): SQL {
  return sql`${JSON.stringify(value)}::jsonb`;
}

/**
 * `jsonParam` as json rather than jsonb, for a large batch read once with json_to_recordset:
 * Postgres only checks json text on the way in, where jsonb first builds a binary document
 * (test/bench/README.md, bench:ingest).
 */
export function jsonRecordsParam(value: unknown): SQL {
  return sql`${JSON.stringify(value)}::json`;
}

/** Rows of a raw `execute`, which postgres.js returns as an array and PGlite as `{ rows }`. */
export function rowsOf<T>(result: unknown): T[] {
  if (Array.isArray(result)) return result;
  if (typeof result === 'object' && result !== null && 'rows' in result) {
    if (Array.isArray(result.rows)) return result.rows;
  }
  throw new Error('a raw query returned neither an array nor { rows }');
}

/**
 * A list as one array parameter, for `column = any(...)`: each value is looked up by index or
 * hash. Matched against a jsonb_array_elements_text subquery instead, the join is the
 * planner's choice, and on statistics not yet updated after a large write (a campaign just
 * published) it compared every row with every value: 74 s for one sync of 5,000 accounts.
 */
export function arrayParam(values: string[], type: 'text' | 'uuid' = 'text'): SQL {
  const items = values.map((value) => `"${value.replace(/["\\]/g, '\\$&')}"`);
  return sql`${`{${items.join(',')}}`}::${sql.raw(type)}[]`;
}
