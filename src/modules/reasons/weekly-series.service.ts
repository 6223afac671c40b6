import { sql } from 'drizzle-orm';
import { jsonParam, rowsOf } from '../../db/json-param';
import type { Deps } from '../../deps';
import type { WeeklySeries } from './reason-schemas';
import { findReasonSlugs } from './resolve-reasons';
import { ticketWeeks } from './ticket-weeks';
import { checkWeekRange } from './week-range';
import { currentWeek, mondayOf, weeksBack, weeksBetween } from './weeks';

export const MAX_SERIES_WEEKS = 1_100;

export type WeeklyQuery = { from?: string; to?: string; reasons?: string[]; top: number };

/** The weeks a series covers, and what its end was anchored to. */
export type SeriesWeeks = Pick<WeeklySeries, 'anchored_to' | 'data'> & { from: string; to: string };

/**
 * The weeks `weeklySeries` covers for `query`, checked (at most MAX_SERIES_WEEKS, `from` not
 * after `to`). Without `to`, the series ends at the latest week with tickets (or where their
 * usual volume ends), so an imported history is what shows.
 */
export async function seriesWeeks(
  deps: Deps,
  query: Pick<WeeklyQuery, 'from' | 'to'>,
): Promise<SeriesWeeks> {
  const data = await ticketWeeks(deps);
  const current = currentWeek(deps.clock.now(), deps.config.workspaceTimeZone);
  // A ticket dated in the future must not move the default window past today.
  const latest = data && data.usual_through <= current ? data.usual_through : current;
  const startsLater = query.from !== undefined && mondayOf(query.from) > latest;
  const to = query.to ? mondayOf(query.to) : startsLater ? current : latest;
  const anchored_to = query.to
    ? 'requested'
    : to === data?.last_week
      ? 'latest_week_with_tickets'
      : to === data?.usual_through
        ? 'end_of_usual_volume'
        : 'current_week';
  const from = query.from ? mondayOf(query.from) : weeksBack(to, 12);
  checkWeekRange(from, to, MAX_SERIES_WEEKS);
  return { from, to, anchored_to, data };
}

/**
 * Contacts per reason per ISO week, zero-filled; the top reasons by volume unless named, over
 * `seriesWeeks` (passed in by a caller that checked them before other reads).
 */
export async function weeklySeries(
  deps: Deps,
  query: WeeklyQuery,
  span?: SeriesWeeks,
): Promise<WeeklySeries> {
  const zone = deps.config.workspaceTimeZone;
  const { from, to, anchored_to, data } = span ?? (await seriesWeeks(deps, query));

  const named = query.reasons && (await findReasonSlugs(deps.db, query.reasons));
  const chosen = named
    ? sql`select slug as reason_slug from reasons
          where slug in (select jsonb_array_elements_text(${jsonParam(named)}))`
    : sql`select reason_slug from reason_weeks
          where week between ${from}::date and ${to}::date
          group by reason_slug
          order by sum(contacts) desc, reason_slug
          limit ${query.top}`;
  // Postgres zero-fills and orders each reason's weeks: one row per reason comes back (at most
  // `top`, or the named ones), not one per reason and week.
  const rows = rowsOf<{ reason_slug: string; label: string; counts: number[] }>(
    await deps.db.execute(sql`
      with chosen as (${chosen})
      select c.reason_slug, r.label,
        (select json_agg(coalesce(w.contacts, 0) order by k.week)
          from generate_series(${from}::date, ${to}::date, interval '7 days') as k(week)
          left join reason_weeks w
            on w.reason_slug = c.reason_slug and w.week = k.week::date) as counts
      from chosen c
      join reasons r on r.slug = c.reason_slug`),
  );

  const weeks = weeksBetween(from, to);
  const byReason = new Map<string, WeeklySeries['series'][number]>();
  for (const row of rows) {
    const total = row.counts.reduce((sum, count) => sum + count, 0);
    byReason.set(row.reason_slug, {
      reason: row.reason_slug,
      label: row.label,
      total,
      counts: row.counts,
    });
  }
  const series = [...byReason.values()].sort(
    (a, b) => b.total - a.total || a.reason.localeCompare(b.reason),
  );
  return { time_zone: zone, anchored_to, data, weeks, series };
}
