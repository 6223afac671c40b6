import { sql } from 'drizzle-orm';
import { rowsOf } from '../../db/json-param';
import type { Deps } from '../../deps';
import { addWeeks } from '../reasons/weeks';

/**
 * Weeks in which the workspace received no ticket at all are missing, not weeks of zero
 * contacts: an imported log that stops, then live tickets, leaves years of them, and read as
 * zeros they are a level the reasons never had (as for the spike detector: weeks after the
 * data ends are missing, not zeros). A week with tickets for other reasons only is a real zero.
 */

/** A week's contacts, or null when the workspace received no ticket that week. */
export type WeekCount = number | null;

/** The weeks in [from, to] (Mondays) in which the workspace received any ticket. */
export async function weeksWithTickets(deps: Deps, from: string, to: string) {
  const rows = rowsOf<{ week: string }>(
    await deps.db.execute(sql`
      select week::text as week from reason_weeks
      where week >= ${from}::date and week <= ${to}::date
      group by week having sum(contacts) > 0`),
  );
  return new Set(rows.map((row) => row.week));
}

/** More missing weeks than this just before the campaign, and its usual level is unknown. */
const MAX_RECENT_GAP = 3;

/**
 * Why the weeks before a campaign (oldest first, from `firstWeek`, the last one the week
 * before its start week) cannot give its usual level, or null: too few weeks with tickets,
 * or none in the last few weeks.
 */
export function historyProblem(
  firstWeek: string,
  history: readonly WeekCount[],
  minWeeks: number,
  tooShort: (weeks: number) => string,
): string | null {
  let gap = 0;
  while (gap < history.length && history[history.length - 1 - gap] === null) gap++;
  if (gap > MAX_RECENT_GAP) {
    return (
      `no tickets were received between ${addWeeks(firstWeek, history.length - gap)} and the ` +
      'campaign’s start: the history stops, so the usual level before the campaign is unknown'
    );
  }
  const observed = observedWeeks(history);
  return observed < minWeeks ? tooShort(observed) : null;
}

export const observedWeeks = (history: readonly WeekCount[]) =>
  history.filter((count) => count !== null).length;
