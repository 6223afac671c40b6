import { type SQL, sql } from 'drizzle-orm';
import type { Db } from '../../db/database';
import { jsonParam } from '../../db/json-param';

export type ContactPoint = { account_id: string; reason_slug: string; created_at: string };

/** A relation of contacts (account_id, reason_slug, created_at) whose neighbourhood changed. */
export type TouchedContacts = SQL;

export const contactsAt = (points: ContactPoint[]): TouchedContacts =>
  sql`jsonb_to_recordset(${jsonParam(points)})
        as p(account_id text, reason_slug text, created_at timestamptz)`;

/** The stored tickets with ids in [first, last]: those one insert added (and perhaps more). */
export const contactsOfTickets = (first: number, last: number): TouchedContacts =>
  sql`(select account_id, reason_slug, created_at from tickets
       where id between ${first} and ${last}) as p`;

/**
 * Re-derives `is_recontact` around contacts that were added or moved. A ticket is a
 * re-contact when the ticket just before it from the same account about the same reason
 * (ordered by time, then id, for exports that only carry dates) is at most 48 hours older.
 * Only tickets from the first touched point of an (account, reason) pair up to 48 hours after
 * its last one can change; each pair's tickets in that span are read with one index range
 * scan, and only flags that differ are written, in id order.
 */
export async function refreshRecontacts(db: Db, contacts: TouchedContacts): Promise<void> {
  await db.execute(sql`
    with touched as (
      select account_id, reason_slug, min(created_at) as first_at, max(created_at) as last_at
      from ${contacts}
      where account_id is not null
      group by account_id, reason_slug
    ),
    nearby as (
      select t.id, t.is_recontact, t.created_at, x.first_at,
             lag(t.created_at) over (
               partition by t.account_id, t.reason_slug order by t.created_at, t.id
             ) as previous_at
      from touched x
      cross join lateral (
        select id, is_recontact, created_at, account_id, reason_slug from tickets
        where account_id = x.account_id and reason_slug = x.reason_slug
          and created_at >= x.first_at - interval '48 hours'
          and created_at <= x.last_at + interval '48 hours'
        -- OFFSET 0 keeps this a per-pair index range scan: the planner cannot see how many
        -- pairs a batch has and would otherwise scan the whole table to hash-join them.
        offset 0
      ) t
    ),
    flags as (
      select id, is_recontact,
             coalesce(created_at - previous_at <= interval '48 hours', false) as flag
      from nearby
      where created_at >= first_at
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
