import { sql } from 'drizzle-orm';
import { rowsOf } from '../../db/json-param';
import type { Deps } from '../../deps';

export type ReasonChoice = { slug: string; label: string };

/**
 * The reasons a form offers to choose from, by label: each reason once, without those made an
 * alias of another (their rows stay, but naming one names the reason it now points to).
 */
export async function reasonChoices(deps: Deps): Promise<ReasonChoice[]> {
  return rowsOf<ReasonChoice>(
    await deps.db.execute(sql`
      select r.slug, r.label from reasons r
      where not exists (
        select 1 from reason_aliases a where a.alias = r.slug and a.reason_slug <> r.slug)
      order by lower(r.label), r.slug`),
  );
}
