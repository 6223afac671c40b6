import { sql } from 'drizzle-orm';
import { rowsOf } from '../../db/json-param';
import type { Deps } from '../../deps';
import { NOT_AN_ALIAS } from './reasons.service';

export type ReasonChoice = { slug: string; label: string };

/** The reasons a form offers to choose from, by label: each reason once, without aliases. */
export async function reasonChoices(deps: Deps): Promise<ReasonChoice[]> {
  return rowsOf<ReasonChoice>(
    await deps.db.execute(sql`
      select r.slug, r.label from reasons r
      where ${NOT_AN_ALIAS}
      order by lower(r.label), r.slug`),
  );
}
