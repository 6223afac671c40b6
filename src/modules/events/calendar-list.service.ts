import { sql } from 'drizzle-orm';
import { events } from '../../db/schema';
import type { Deps } from '../../deps';
import { AppError } from '../../http/app-error';
import type { Page } from '../../http/pagination';
import { base64url, fromBase64url } from '../../lib/base64url';
import type { EventView } from './event-schemas';
import { expandCalendarWhereCheap, OCCURRENCE_LIMITS, toEventView } from './events.service';
import { calendarEvent } from './occurrences';

/** An event as the console lists it: a series with the window it opens next, if any. */
export type CalendarEntry = EventView & { next: NextWindow | null };

/** A series' next window, or `unknown` when walking its rule there takes too long. */
type NextWindow = { starts_at: string; ends_at: string } | 'unknown';

/**
 * The console's calendar, a page at a time: recurring series first (by title), then one-off
 * events not yet over (soonest first), then those past (latest first). The cursor is the last
 * row's place in that order; one the console did not hand out starts from the top.
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
  const next = await nextWindows(
    deps,
    data.map((r) => r.row),
    now,
  );
  const last = data.at(-1);
  return {
    data: data.map(({ row }) => ({ ...toEventView(row), next: next.get(row.id) ?? null })),
    next_cursor:
      rows.length > query.limit && last
        ? encodePlace({ group: last.group, title: last.title, time: last.time, id: last.row.id })
        : null,
  };
}

type Place = { group: number; title: string; time: string; id: string };

const encodePlace = (place: Place) => base64url(new TextEncoder().encode(JSON.stringify(place)));

function decodePlace(cursor: string | undefined): Place | undefined {
  if (!cursor || !/^[A-Za-z0-9_-]{1,2000}$/.test(cursor)) return undefined;
  try {
    const place = JSON.parse(new TextDecoder().decode(fromBase64url(cursor))) as Place;
    const valid =
      [0, 1, 2].includes(place.group) &&
      typeof place.title === 'string' &&
      /^-?\d+(\.\d+)?$/.test(String(place.time)) &&
      /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(String(place.id));
    return valid ? place : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The window each recurring event opens next (or is open now), within the internal range, or
 * `unknown` when its walk there runs past its share of the expansion's steps: a rule with COUNT
 * is walked from its first start, and a series that occurs rarely walks far to find its next
 * start. Each series has a share of the budget, so one such series is said, not the page lost.
 */
async function nextWindows(deps: Deps, rows: (typeof events.$inferSelect)[], now: Date) {
  const next = new Map<string, NextWindow>();
  const recurring = rows.filter((row) => row.rrule);
  if (recurring.length === 0) return next;
  const steps = Math.floor(OCCURRENCE_LIMITS.internal.steps / recurring.length);
  const to = new Date(now.getTime() + OCCURRENCE_LIMITS.internal.maxRangeDays * 86_400_000);
  await Promise.all(
    recurring.map(async (row) => {
      try {
        const [first] = await expandCalendarWhereCheap(deps, {
          events: [calendarEvent(row)],
          from: now,
          to,
          limit: 1,
          steps,
          timeZone: deps.config.workspaceTimeZone,
          oneOff: true,
        });
        if (first) next.set(row.id, { starts_at: first.starts_at, ends_at: first.ends_at });
      } catch (error) {
        // From a compute thread the budget's error comes back as the AppError it is.
        if (!(error instanceof AppError) || error.code !== 'range_too_large') throw error;
        next.set(row.id, 'unknown');
      }
    }),
  );
  return next;
}
