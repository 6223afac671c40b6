import { sql } from 'drizzle-orm';
import { rowsOf } from '../../db/json-param';
import { type EventRow, events as eventsTable } from '../../db/schema';
import type { Deps } from '../../deps';
import type { Occurrence } from '../events/event-schemas';
import { expandCalendarWhereCheap } from '../events/events.service';
import { type CalendarExpansion, calendarEvent, DEFAULT_STEPS } from '../events/occurrences';
import { addWeeks, currentWeek, earlierWeek, laterWeek, weeksBetween } from '../reasons/weeks';
import { type EventTerm, eventGroups } from './detect';
import { type WeekdayShares, weekdayShares, weeklyOverlap, weekStarts } from './week-overlap';

/** Detection looks at most this far back (weeks): twenty years, and a bound on every read. */
export const MAX_VERDICT_WEEKS = 1_044;
const WEEK_MS = 7 * 86_400_000;
// Far more windows than any calendar has in twenty years (a daily event: 7,300).
const OCCURRENCE_LIMIT = 8_000;

export type VerdictInput = {
  weeks: string[];
  series: Map<string, number[]>;
  events: EventTerm[];
};

/**
 * The last week verdicts are computed for: the last complete week, or the last week with
 * tickets if the data ends earlier (weeks after the data ends are missing, not zero).
 */
export async function verdictHorizon(deps: Deps): Promise<{ first: string; last: string } | null> {
  const [span] = rowsOf<{ first: string | null; last: string | null }>(
    await deps.db.execute(sql`
      select min(week)::text as first, max(week)::text as last
      from reason_weeks where contacts > 0`),
  );
  if (!span?.first || !span.last) return null;
  const complete = addWeeks(currentWeek(deps.clock.now(), deps.config.workspaceTimeZone), -1);
  const last = earlierWeek(span.last, complete);
  const earliest = addWeeks(last, -(MAX_VERDICT_WEEKS - 1));
  const first = laterWeek(span.first, earliest);
  return first > last ? null : { first, last };
}

/** Every reason's weekly counts over [first, last], zero-filled, and the calendar's terms. */
export async function loadVerdictInput(
  deps: Deps,
  span: { first: string; last: string },
): Promise<VerdictInput> {
  const weeks = weeksBetween(span.first, span.last);
  const starts = weekStarts(weeks, deps.config.workspaceTimeZone);
  // One row per reason (weeks as offsets from the first): far less to send and parse. The
  // calendar is read and expanded meanwhile.
  const [rows, events] = await Promise.all([
    deps.db
      .execute(sql`
        select reason_slug, array_agg((week - ${span.first}::date) / 7) as offsets,
               array_agg(contacts) as contacts
        from reason_weeks
        where week between ${span.first}::date and ${span.last}::date
        group by reason_slug`)
      .then((result) =>
        rowsOf<{ reason_slug: string; offsets: number[]; contacts: number[] }>(result),
      ),
    workspaceRhythm(deps, span).then((shares) => eventTerms(deps, starts, shares)),
  ]);
  const series = new Map<string, number[]>();
  for (const row of rows) {
    const counts = weeks.map(() => 0);
    row.offsets.forEach((offset, i) => {
      counts[offset] = row.contacts[i] ?? 0;
    });
    series.set(row.reason_slug, counts);
  }
  return { weeks, series, events };
}

/** Each week's day-of-week shares (see `weekdayShares`), from the year before it on. */
async function workspaceRhythm(
  deps: Deps,
  span: { first: string; last: string },
): Promise<WeekdayShares[]> {
  const from = addWeeks(span.first, -52);
  const weeks = weeksBetween(from, span.last);
  const rows = rowsOf<{ week_offset: number; weekday: number; contacts: number }>(
    await deps.db.execute(sql`
      select (week - ${from}::date) / 7 as week_offset, weekday, contacts
      from weekday_contacts
      where week between ${from}::date and ${span.last}::date`),
  );
  const contacts = weeks.map(() => [0, 0, 0, 0, 0, 0, 0]);
  for (const row of rows) {
    const week = contacts[row.week_offset];
    if (week) week[row.weekday - 1] = row.contacts;
  }
  return weekdayShares(contacts).slice(52);
}

/**
 * One term per event over the weeks starting at `starts`, its windows padded by its lead and
 * lag. Occurrences share an effect by group: a recurring event is its own group, one-off
 * events of a kind form one (every election day, every outage).
 */
async function eventTerms(
  deps: Deps,
  starts: number[],
  shares: WeekdayShares[],
): Promise<EventTerm[]> {
  const from = new Date(starts[0] ?? 0);
  const to = new Date((starts.at(-1) ?? 0) + WEEK_MS);
  const calendar = await calendarBetween(deps, from, to);
  return calendar
    .map(({ event, occurrences }) => ({
      eventId: event.id,
      title: event.title,
      kind: event.kind,
      groups: eventGroups({ ...event, recurring: event.rrule !== null }),
      reasons: event.affectedReasons,
      overlap: Float64Array.from(weeklyOverlap(occurrences, starts, shares)),
    }))
    .sort((a, b) => a.eventId.localeCompare(b.eventId));
}

/**
 * The events that may have padded windows touching [from, to), as an expansion to run.
 * Detection and patterns read the calendar themselves, with their own bound, rather than
 * through the API's occurrence listing.
 */
export async function calendarWindow(
  deps: Deps,
  from: Date,
  to: Date,
): Promise<{ rows: EventRow[]; expansion: CalendarExpansion }> {
  const lookBack = new Date(from.getTime() - 60 * 86_400_000);
  const rows = await deps.db
    .select()
    .from(eventsTable)
    .where(
      sql`(${eventsTable.rrule} is not null
        or (${eventsTable.startsAt} < ${to.toISOString()}::timestamptz
          and ${eventsTable.endsAt} > ${lookBack.toISOString()}::timestamptz))`,
    );
  const expansion = {
    events: rows.map(calendarEvent),
    from,
    to,
    padded: true,
    limit: OCCURRENCE_LIMIT,
    // Each event the walk it would have on its own.
    steps: DEFAULT_STEPS * rows.length,
    timeZone: deps.config.workspaceTimeZone,
  };
  return { rows, expansion };
}

/** Each event that has windows, with them (in the order of `events`). */
export function byEvent<E extends { id: string }>(events: E[], occurrences: Occurrence[]) {
  const windows = new Map<string, Occurrence[]>();
  for (const occurrence of occurrences) {
    const list = windows.get(occurrence.event_id);
    if (list) list.push(occurrence);
    else windows.set(occurrence.event_id, [occurrence]);
  }
  return events.flatMap((event) => {
    const found = windows.get(event.id);
    return found ? [{ event, occurrences: found }] : [];
  });
}

/** Every event with its padded windows touching [from, to); a busy calendar's on a thread. */
async function calendarBetween(deps: Deps, from: Date, to: Date) {
  const { expansion } = await calendarWindow(deps, from, to);
  return byEvent(expansion.events, await expandCalendarWhereCheap(deps, expansion));
}
