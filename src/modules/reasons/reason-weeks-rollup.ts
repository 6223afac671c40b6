import { type SQL, sql } from 'drizzle-orm';
import type { Db } from '../../db/database';
import { jsonParam } from '../../db/json-param';

export type RollupDelta = { reason_slug: string; created_at: string; delta: number };

/**
 * Adds contacts to the rollups (per reason and week, per reason and day, and per day of the
 * week). Keys are applied in order so concurrent batches lock rollup rows in the same order
 * and cannot deadlock.
 */
export async function applyRollupDeltas(
  db: Db,
  deltas: RollupDelta[],
  timeZone: string,
): Promise<void> {
  if (deltas.length === 0) return;
  const changes = sql`select * from jsonb_to_recordset(${jsonParam(deltas)})
    as d(reason_slug text, created_at timestamptz, delta int)`;
  await db.execute(sql`with ${rollupSteps(changes, timeZone)} select 1`);
}

/**
 * The steps adding `changes` (rows of reason_slug, created_at, delta) to the three rollups,
 * as common table expressions for a statement to start with `with` and end after. The changes
 * are summed per reason and local day once; weeks and weekdays are summed from those days.
 */
export function rollupSteps(changes: SQL, timeZone: string): SQL {
  return sql`
    changes_by_day as (
      select reason_slug, (created_at at time zone ${timeZone})::date as day,
             sum(delta)::int as delta
      from (${changes}) as d
      group by 1, 2
    ),
    counted_by_day as (
      insert into reason_days (reason_slug, day, contacts)
      select reason_slug, day, delta from changes_by_day
      order by 1, 2
      on conflict (reason_slug, day)
      do update set contacts = reason_days.contacts + excluded.contacts
    ),
    counted_by_week as (
      insert into reason_weeks (reason_slug, week, contacts)
      select reason_slug, date_trunc('week', day::timestamp)::date, sum(delta)::int
      from changes_by_day
      group by 1, 2
      order by 1, 2
      on conflict (reason_slug, week)
      do update set contacts = reason_weeks.contacts + excluded.contacts
    ),
    counted_by_weekday as (
      insert into weekday_contacts (week, weekday, contacts)
      select date_trunc('week', day::timestamp)::date, extract(isodow from day)::smallint,
             sum(delta)::int
      from changes_by_day
      group by 1, 2
      order by 1, 2
      on conflict (week, weekday)
      do update set contacts = weekday_contacts.contacts + excluded.contacts
    )`;
}

/**
 * Recounts the rollups of some reasons (or all) from the tickets themselves. Moving tickets
 * between reasons leaves the days they fell on as they were: the rollup per day of the week
 * is recounted only with all reasons (a new time zone).
 */
export async function rebuildRollup(
  db: Db,
  timeZone: string,
  reasonSlugs?: string[],
): Promise<void> {
  const scope = reasonSlugs
    ? sql`reason_slug in (select jsonb_array_elements_text(${jsonParam(reasonSlugs)}))`
    : sql`true`;
  await db.execute(sql`delete from reason_days where ${scope}`);
  await db.execute(sql`
    insert into reason_days (reason_slug, day, contacts)
    select reason_slug, (created_at at time zone ${timeZone})::date, count(*)::int
    from tickets where ${scope}
    group by 1, 2`);
  await db.execute(sql`delete from reason_weeks where ${scope}`);
  await db.execute(sql`
    insert into reason_weeks (reason_slug, week, contacts)
    select reason_slug, date_trunc('week', day)::date, sum(contacts)::int
    from reason_days where ${scope}
    group by 1, 2`);
  if (reasonSlugs) return;
  await db.execute(sql`delete from weekday_contacts`);
  await db.execute(sql`
    insert into weekday_contacts (week, weekday, contacts)
    select (date_trunc('week', created_at at time zone ${timeZone}))::date,
           extract(isodow from created_at at time zone ${timeZone})::smallint, count(*)::int
    from tickets
    group by 1, 2`);
}
