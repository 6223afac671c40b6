import { sql } from 'drizzle-orm';
import type { Db } from '../../db/database';
import { jsonParam } from '../../db/json-param';

/**
 * Re-derives re-contact flags for whole reasons after tickets moved between them. The
 * ticket just before each one (same account and reason) decides: within 48 hours or not.
 * The caller holds `lockRecontactFlags`, taken before it moved any ticket.
 */
export async function recomputeRecontactsForReasons(db: Db, reasonSlugs: string[]): Promise<void> {
  if (reasonSlugs.length === 0) return;
  await db.execute(sql`
    with ordered as (
      select id, is_recontact,
             coalesce(created_at - lag(created_at) over (
               partition by account_id, reason_slug order by created_at, id
             ) <= interval '48 hours', false) as flag
      from tickets
      where account_id is not null
        and reason_slug in (select jsonb_array_elements_text(${jsonParam(reasonSlugs)}))
    )
    update tickets t set is_recontact = o.flag
    from ordered o
    where t.id = o.id and o.is_recontact <> o.flag`);
}
