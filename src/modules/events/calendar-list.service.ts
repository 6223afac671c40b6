import { sql } from 'drizzle-orm';
import { events } from '../../db/schema';
import type { Deps } from '../../deps';
import { AppError } from '../../http/app-error';
import type { Page } from '../../http/pagination';
import { unsafeTextProblem } from '../../http/safe-text';
import { base64url, fromBase64url } from '../../lib/base64url';
import type { EventView } from './event-schemas';
import { INLINE_STEPS, OCCURRENCE_LIMITS, toEventView } from './events.service';
import { holidayZone } from './holidays.service';
import { calendarEvent, type NextWindow, type NextWindowsInput, nextWindows } from './occurrences';

/**
 * An event as the console lists it: a series with the window it opens next, if any, or
 * `unknown` when walking its rule there takes too long; an imported holiday with the place it
 * is a holiday in and that place's zone (null when date-holidays does not know the place).
 */
export type CalendarEntry = EventView & {
  next: NextWindow;
  holiday?: { place: string; zone: string | null };
};

/**
 * The console's calendar, a page at a time: recurring series first (by title), then one-off
 * events not yet over (soonest first), then those past (latest first). The cursor is the last
 * row's place in that order; one the console did not hand out is a 400.
 */
export async function listCalendar(
  deps: Deps,
  query: { limit: number; cursor?: string },
): Promise<Page<CalendarEntry>> {
  const now = deps.clock.now();
  const at = now.toISOString();
  const group = sql<number>`(case when ${events.rrule} is not null then 0
    when ${events.endsAt} > ${at}::timestamptz then 1 else 2 end)`;
  const title = sql<string>`(case when ${events.rrule} is not null then ${events.title} else '' end)`;
  const time = sql<string>`(case when ${events.rrule} is not null then 0
    when ${events.endsAt} > ${at}::timestamptz then extract(epoch from ${events.startsAt})
    else -extract(epoch from ${events.startsAt}) end)`;
  const after = decodePlace(query.cursor);
  const rows = await deps.db
    .select({
      row: events,
      group: sql<number>`${group}::int`,
      title,
      time: sql<string>`${time}::text`,
    })
    .from(events)
    .where(
      after
        ? sql`(${group}, ${title}, ${time}, ${events.id}) >
            (${after.group}::int, ${after.title}::text, ${after.time}::numeric, ${after.id}::uuid)`
        : undefined,
    )
    .orderBy(group, title, time, events.id)
    .limit(query.limit + 1);
  const data = rows.slice(0, query.limit);
  const next = await nextWindowsOf(
    deps,
    data.map((r) => r.row),
    now,
  );
  const last = data.at(-1);
  return {
    data: data.map(({ row }) => ({
      ...toEventView(row),
      next: next.get(row.id) ?? null,
      ...holidayOf(row),
    })),
    next_cursor:
      rows.length > query.limit && last
        ? encodePlace({ group: last.group, title: last.title, time: last.time, id: last.row.id })
        : null,
  };
}

/** Where an imported holiday is one: the place its import named (`US-CA`), and its zone. */
function holidayOf(row: typeof events.$inferSelect): Pick<CalendarEntry, 'holiday'> {
  const place = row.origin === 'holidays' ? row.originId?.split(':')[0] : undefined;
  if (!place) return {};
  return { holiday: { place, zone: row.timeZone ?? holidayZone(place) } };
}

type Place = { group: number; title: string; time: string; id: string };

const encodePlace = (place: Place) => base64url(new TextEncoder().encode(JSON.stringify(place)));

/** The place a cursor names; one the console did not hand out is refused, not read from the top. */
function decodePlace(cursor: string | undefined): Place | undefined {
  if (cursor === undefined) return undefined;
  const place = /^[A-Za-z0-9_-]{1,2000}$/.test(cursor) ? placeIn(cursor) : undefined;
  if (place) return place;
  throw new AppError('validation_failed', 'That page link is broken: start from the first page.', [
    { location: 'query', path: 'cursor', message: 'not a cursor this list handed out' },
  ]);
}

function placeIn(cursor: string): Place | undefined {
  let place: Partial<Place> | null;
  try {
    place = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(fromBase64url(cursor)));
  } catch {
    return undefined;
  }
  const valid =
    typeof place === 'object' &&
    place !== null &&
    [0, 1, 2].includes(place.group as number) &&
    typeof place.title === 'string' &&
    // What the database cannot compare as text (a NUL) no title it handed out holds.
    unsafeTextProblem(place.title) === undefined &&
    /^-?\d{1,20}(\.\d{1,6})?$/.test(String(place.time)) &&
    /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(String(place.id));
  return valid ? (place as Place) : undefined;
}

/**
 * Steps the next starts of a page's series may walk in all, shared out evenly: a rule with
 * COUNT is walked from its first start, and a series that occurs rarely walks far to find its
 * next start; past its share, a series' next start is said to be unknown, not the page lost.
 */
const NEXT_START_STEPS = OCCURRENCE_LIMITS.internal.steps;

/**
 * Series a page walks to their next starts on the request thread, when each gets there within
 * its part of INLINE_STEPS: about a millisecond of rrule, most of it each rule's setting up.
 */
const INLINE_SERIES = 8;

/** The window each recurring event opens next (or is open now), within the internal range. */
async function nextWindowsOf(deps: Deps, rows: (typeof events.$inferSelect)[], now: Date) {
  const next = new Map<string, NextWindow>();
  const recurring = rows.filter((row) => row.rrule);
  if (recurring.length === 0) return next;
  const windows = await nextWindowsWhereCheap(deps, {
    events: recurring.map(calendarEvent),
    from: now,
    to: new Date(now.getTime() + OCCURRENCE_LIMITS.internal.maxRangeDays * 86_400_000),
    timeZone: deps.config.workspaceTimeZone,
    stepsPerEvent: Math.floor(NEXT_START_STEPS / recurring.length),
  });
  recurring.forEach((row, i) => {
    const window = windows[i];
    if (window) next.set(row.id, window);
  });
  return next;
}

/**
 * `nextWindows` in one compute task for the whole page; a few series are tried on the request
 * thread first, and only those that need more than that try are walked again on a thread.
 */
export async function nextWindowsWhereCheap(deps: Deps, input: NextWindowsInput) {
  if (!deps.compute.offThread) return nextWindows(input);
  if (input.events.length > INLINE_SERIES) return deps.compute('nextWindows', input);
  const share = Math.floor(INLINE_STEPS / input.events.length);
  if (share >= input.stepsPerEvent) return nextWindows(input);
  const tried = nextWindows({ ...input, stepsPerEvent: share });
  const rest = input.events.filter((_, i) => tried[i] === 'unknown');
  if (rest.length === 0) return tried;
  const walked = (await deps.compute('nextWindows', { ...input, events: rest })).values();
  return tried.map((window) =>
    window === 'unknown' ? (walked.next().value ?? 'unknown') : window,
  );
}
