import { type SQL, sql } from 'drizzle-orm';
import { jsonParam } from '../../db/json-param';

/** SQL: the ticket is about one of the campaign's target reasons (any reason if it names none). */
export function isTargetReason(reasonSlug: SQL, targetReasons: string[]): SQL {
  return targetReasons.length === 0
    ? sql`true`
    : sql`${reasonSlug} in (select jsonb_array_elements_text(${jsonParam(targetReasons)}))`;
}
