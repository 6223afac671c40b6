import type { Deps } from '../../deps';
import { nextWindowsWhereCheap } from './calendar-list.service';
import { OCCURRENCE_LIMITS } from './events.service';
import type { CalendarEvent } from './occurrences';

/** Steps all the series asked about may walk in all, shared out evenly (as the events page). */
const STEPS = OCCURRENCE_LIMITS.internal.steps;

/**
 * The ids of the events with a window that ends after `since` (ended since, open, or to come,
 * within the range the calendar reads ahead): a one-off event by its end, a series walked by
 * its rule from `since` to its first window, no further. A series whose walk takes more than
 * its share of steps is counted in: not knowing is no reason to leave it out.
 */
export async function occurringSince(
  deps: Deps,
  rows: CalendarEvent[],
  since: Date,
): Promise<Set<string>> {
  const occurring = new Set<string>();
  const series = rows.filter((row) => row.rrule);
  for (const row of rows) {
    if (row.rrule) continue;
    if (row.endsAt > since) occurring.add(row.id);
  }
  if (series.length === 0) return occurring;
  const windows = await nextWindowsWhereCheap(deps, {
    events: series,
    from: since,
    to: new Date(since.getTime() + OCCURRENCE_LIMITS.internal.maxRangeDays * 86_400_000),
    timeZone: deps.config.workspaceTimeZone,
    stepsPerEvent: Math.floor(STEPS / series.length),
  });
  series.forEach((row, i) => {
    if (windows[i]) occurring.add(row.id);
  });
  return occurring;
}
