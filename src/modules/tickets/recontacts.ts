import { sql } from 'drizzle-orm';
import type { Db } from '../../db/database';
import { jsonParam } from '../../db/json-param';

export type ContactPoint = { account_id: string; reason_slug: string; created_at: string };

/**
 * Re-derives `is_recontact` around contacts that were added or moved: a ticket is a
 * re-contact when the same account contacted about the same reason in the 48 hours before
 * it (ties broken by id, for exports that only carry dates). Only tickets within 48 hours
 * after a touched point can change, so only those are looked at.
 */
export async function refreshRecontacts(db: Db, points: ContactPoint[]): Promise<void> {
  if (points.length === 0) return;
  await db.execute(sql`
    with touched as (
      select distinct account_id, reason_slug, created_at
      from jsonb_to_recordset(${jsonParam(points)})
        as p(account_id text, reason_slug text, created_at timestamptz)
    ),
    candidates as (
      select distinct t.id, t.account_id, t.reason_slug, t.created_at, t.is_recontact
      from touched x
      cross join lateral (
        select id, account_id, reason_slug, created_at, is_recontact from tickets
        where account_id = x.account_id and reason_slug = x.reason_slug
          and created_at >= x.created_at and created_at <= x.created_at + interval '48 hours'
        -- OFFSET 0 keeps this a per-point index range scan: the planner cannot see how many
        -- points a batch has and would otherwise scan the whole table to hash-join them.
        offset 0
      ) t
    ),
    flags as (
      select c.id, c.is_recontact, exists (
        select 1 from tickets p
        where p.account_id = c.account_id and p.reason_slug = c.reason_slug
          and p.created_at >= c.created_at - interval '48 hours'
          and (p.created_at, p.id) < (c.created_at, c.id)
      ) as flag
      from candidates c
    ),
    locked as (
      select t.id, f.flag from tickets t
      join flags f on f.id = t.id and f.flag <> f.is_recontact
      order by t.id
      for update of t
    )
    update tickets t set is_recontact = l.flag
    from locked l
    where t.id = l.id`);
}
