import { sql } from 'drizzle-orm';
import { rowsOf } from '../../db/json-param';
import type { Deps } from '../../deps';
import type { TicketWeeks } from './reason-schemas';
import { addWeeks, earlierWeek, mondayOf, weekCount } from './weeks';

// An export often trails off: stray tickets dated weeks or months after the rest (the shared
// NYC log holds ~9 a week for a year after ~690 a week). Default windows that end at the very
// last of them show next to nothing, so they end where the usual volume does.
const THIN = 0.1;
const BASE_WEEKS = 52;
// A thin week or two is a week in progress or a quiet spell, not a trail.
const MIN_TRAIL_WEEKS = 4;
const SEARCH_WEEKS = 156;

/** The first week with tickets, or null before any: one indexed read, for forms' defaults. */
export async function firstTicketWeek(deps: Deps): Promise<string | null> {
  const [row] = rowsOf<{ first_week: string | null }>(
    await deps.db.execute(
      sql`select min(week)::text as first_week from reason_weeks where contacts > 0`,
    ),
  );
  return row?.first_week ?? null;
}

/**
 * The first and last weeks with tickets, and the last week of their usual volume (see
 * `trailingOff`), with what came after it; null before any ticket.
 */
export async function ticketWeeks(deps: Deps): Promise<TicketWeeks> {
  // One statement: the span, and the weekly totals of the years before its end.
  const rows = rowsOf<{
    first_week: string | null;
    last_week: string | null;
    week: string | null;
    contacts: number | null;
  }>(
    await deps.db.execute(sql`
      with span as (
        select min(week) as first_week, max(week) as last_week
        from reason_weeks where contacts > 0)
      select s.first_week::text as first_week, s.last_week::text as last_week,
        w.week::text as week, w.contacts
      from span s left join lateral (
        select week, sum(contacts)::int as contacts from reason_weeks
        where week >= s.last_week - ${7 * (SEARCH_WEEKS + BASE_WEEKS)}::int and contacts > 0
        group by week) as w on true`),
  );
  const first_week = rows[0]?.first_week;
  const last_week = rows[0]?.last_week;
  if (!first_week || !last_week) return null;
  const since = addWeeks(last_week, -(SEARCH_WEEKS + BASE_WEEKS));
  const totals = new Array<number>(weekCount(since, last_week)).fill(0);
  for (const { week, contacts } of rows) {
    if (week) totals[weekCount(since, week) - 1] = contacts ?? 0;
  }
  const trail = trailingOff(totals);
  return {
    first_week,
    last_week,
    usual_through: trail ? addWeeks(since, trail.index) : last_week,
    after_usual: trail
      ? { weeks: trail.weeks, contacts: trail.contacts, usual_weekly: trail.usualWeekly }
      : null,
  };
}

/**
 * Where a window asked for without an end ends: the last week with verdicts, or earlier where
 * the tickets' usual volume ends (a trail of stray tickets after it would fill the window with
 * weeks too thin to judge).
 */
export function defaultLastWeek(
  computedThrough: string | null,
  data: TicketWeeks,
  deps: Deps,
): string {
  const last = computedThrough ?? mondayOf(deps.clock.now().toISOString().slice(0, 10));
  return data ? earlierWeek(data.usual_through, last) : last;
}

/**
 * Where weekly totals (oldest first, one per week, the last one the latest week with
 * tickets) trail off. A week qualifies when it is itself usual, at least a tenth of the
 * median week of the year before it, and the weeks after it (at least `MIN_TRAIL_WEEKS`) hold
 * on average less than that tenth. Deep in a long trail a week of one ticket qualifies
 * against a year of trail, so the answer is the latest week whose year before was as busy as
 * half the busiest such year's. Null when the volume does not trail off.
 */
export function trailingOff(
  totals: number[],
): { index: number; weeks: number; contacts: number; usualWeekly: number } | null {
  const found: { index: number; weeks: number; contacts: number; usualWeekly: number }[] = [];
  let after = 0;
  for (let c = totals.length - 2; c >= BASE_WEEKS; c--) {
    after += totals[c + 1] ?? 0;
    const weeks = totals.length - 1 - c;
    if (weeks < MIN_TRAIL_WEEKS) continue;
    const usual = median(totals.slice(c - BASE_WEEKS, c));
    if (usual <= 0 || (totals[c] ?? 0) < THIN * usual) continue;
    if (after / weeks < THIN * usual)
      found.push({ index: c, weeks, contacts: after, usualWeekly: usual });
  }
  const busiest = Math.max(0, ...found.map((f) => f.usualWeekly));
  return found.find((f) => f.usualWeekly >= busiest / 2) ?? null;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? 0)
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}
