import type { EventKind } from '../../db/schema';
import type { Occurrence } from './event-schemas';
import { recurrenceStarts } from './recurrence-rule';

export type CalendarEvent = {
  id: string;
  kind: EventKind;
  title: string;
  startsAt: Date;
  endsAt: Date;
  rrule: string | null;
  leadDays: number;
  lagDays: number;
  affectedReasons: string[];
};

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * The windows of an event that touch [from, to), widened by its lead and lag when `padded`
 * (what the spike model uses: contacts arrive before and after the event itself).
 */
export function occurrencesBetween(
  event: CalendarEvent,
  from: Date,
  to: Date,
  options: { padded?: boolean; limit?: number; budget?: Budget } = {},
): Occurrence[] {
  const duration = event.endsAt.getTime() - event.startsAt.getTime();
  const lead = options.padded ? event.leadDays * DAY_MS : 0;
  const lag = options.padded ? event.lagDays * DAY_MS : 0;
  const budget = options.budget ?? { steps: DEFAULT_STEPS };
  let starts = [event.startsAt];
  if (event.rrule) {
    const expanded = recurrenceStarts(
      event.rrule,
      event.startsAt,
      new Date(from.getTime() - duration - lag),
      new Date(to.getTime() + lead),
      budget.steps,
    );
    budget.steps -= expanded.steps;
    starts = expanded.starts;
  }
  const occurrences: Occurrence[] = [];
  for (const start of starts) {
    const windowStart = start.getTime() - lead;
    const windowEnd = start.getTime() + duration + lag;
    if (windowEnd <= from.getTime() || windowStart >= to.getTime()) continue;
    occurrences.push({
      event_id: event.id,
      kind: event.kind,
      title: event.title,
      starts_at: new Date(windowStart).toISOString(),
      ends_at: new Date(windowEnd).toISOString(),
      affected_reasons: event.affectedReasons,
    });
    if (options.limit && occurrences.length >= options.limit) break;
  }
  return occurrences;
}

/** Periods a caller may still walk across the events it expands (see `recurrenceStarts`). */
export type Budget = { steps: number };

/** What one event may walk when its caller sets no budget. */
export const DEFAULT_STEPS = 100_000;

export type CalendarExpansion = {
  events: CalendarEvent[];
  from: Date;
  to: Date;
  padded?: boolean;
  /** Occurrences kept per event (one more than a caller allows shows there are too many). */
  limit: number;
  /** Periods the whole expansion may walk (see `recurrenceStarts`). */
  steps: number;
};

/** Every event's windows in [from, to), earliest first: the work a calendar read grows with. */
export function expandCalendar(input: CalendarExpansion): Occurrence[] {
  const budget = { steps: input.steps };
  return input.events
    .flatMap((event) =>
      occurrencesBetween(event, input.from, input.to, {
        padded: input.padded,
        limit: input.limit,
        budget,
      }),
    )
    .sort((a, b) => a.starts_at.localeCompare(b.starts_at));
}

/**
 * `{"data":[…]}` of the expansion in UTF-8, serialized where it was expanded (and moved, not
 * copied, to the thread that sends it); null past `max`.
 */
export function expandCalendarJson(
  input: CalendarExpansion & { max: number },
): Uint8Array<ArrayBuffer> | null {
  const data = expandCalendar(input);
  return data.length > input.max ? null : new TextEncoder().encode(JSON.stringify({ data }));
}

/** The fields of an event row that expanding it reads (what crosses to a compute thread). */
export const calendarEvent = (row: CalendarEvent): CalendarEvent => ({
  id: row.id,
  kind: row.kind,
  title: row.title,
  startsAt: row.startsAt,
  endsAt: row.endsAt,
  rrule: row.rrule,
  leadDays: row.leadDays,
  lagDays: row.lagDays,
  affectedReasons: row.affectedReasons,
});
