import type { EventKind } from '../../db/schema';
import type { Occurrence } from './event-schemas';
import { recurrenceSet } from './recurrence-exceptions';
import { RecurrenceBudgetExceeded, recurrenceStarts } from './recurrence-rule';

export type CalendarEvent = {
  id: string;
  kind: EventKind;
  title: string;
  startsAt: Date;
  endsAt: Date;
  rrule: string | null;
  /** The zone whose wall clock the event keeps, when not the workspace's. */
  timeZone: string | null;
  /** Starts taken out of the rule's (see `recurrenceSet`): instants, or days. */
  excludedStarts: string[];
  /** Starts added beside the rule's. */
  extraStarts: string[];
  leadDays: number;
  lagDays: number;
  affectedReasons: string[];
};

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * The windows of an event that touch [from, to), widened by its lead and lag when `padded`
 * (what the spike model uses: contacts arrive before and after the event itself). A recurring
 * event keeps its wall-clock time in its own zone, else in `timeZone` (the workspace's), across
 * daylight-saving changes, less its excluded starts and with its extra ones: every reader of
 * an event's occurrences comes here. At most `limit` windows, the earliest: the expansion
 * stops there.
 */
export function occurrencesBetween(
  event: CalendarEvent,
  from: Date,
  to: Date,
  options: {
    timeZone: string;
    padded?: boolean;
    limit?: number;
    budget?: Budget;
    oneOff?: boolean;
  },
): Occurrence[] {
  const duration = event.endsAt.getTime() - event.startsAt.getTime();
  const lead = options.padded ? event.leadDays * DAY_MS : 0;
  const lag = options.padded ? event.lagDays * DAY_MS : 0;
  const limit = options.limit ?? DEFAULT_LIMIT;
  const budget = options.budget ?? { steps: DEFAULT_STEPS };
  let starts = [event.startsAt];
  if (event.rrule) {
    const after = new Date(from.getTime() - duration - lag);
    const before = new Date(to.getTime() + lead);
    const timeZone = event.timeZone ?? options.timeZone;
    // One more: a start on the range's first instant has a window that ends as it begins.
    // And one more per excluded start, each of which may take one out.
    const max = limit + 1 + event.excludedStarts.length;
    const expanded = recurrenceStarts(event.rrule, event.startsAt, after, before, {
      budget: budget.steps,
      max,
      timeZone,
      oneOff: options.oneOff,
    });
    budget.steps -= expanded.steps;
    starts = recurrenceSet(expanded.starts, event, {
      after,
      before,
      timeZone,
      walkedTo: expanded.starts.length >= max ? expanded.starts.at(-1) : undefined,
    });
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
    if (occurrences.length >= limit) break;
  }
  return occurrences;
}

/** Windows one event yields when its caller sets no limit: 27 years of a daily event. */
const DEFAULT_LIMIT = 10_000;

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
  /**
   * Occurrences kept in all, when the caller refuses more: the expansion stops at one more
   * than this, so what it makes stays bounded however many events there are.
   */
  max?: number;
  /** The workspace's zone, whose wall clock recurring events without a zone of their own keep. */
  timeZone: string;
  /** Periods the whole expansion may walk (see `recurrenceStarts`). */
  steps: number;
  /** Nobody will expand this range again: its walks are not kept (see `WalkLimits`). */
  oneOff?: boolean;
};

/** Every event's windows in [from, to), earliest first: the work a calendar read grows with. */
export function expandCalendar(input: CalendarExpansion): Occurrence[] {
  const budget = { steps: input.steps };
  const max = input.max ?? Number.POSITIVE_INFINITY;
  const occurrences: Occurrence[] = [];
  for (const event of input.events) {
    if (occurrences.length > max) break;
    const windows = occurrencesBetween(event, input.from, input.to, {
      timeZone: input.timeZone,
      padded: input.padded,
      limit: Math.min(input.limit, max + 1 - occurrences.length),
      budget,
      oneOff: input.oneOff,
    });
    for (const window of windows) occurrences.push(window);
  }
  return occurrences.sort((a, b) => a.starts_at.localeCompare(b.starts_at));
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

/** An event's next window; `unknown` when walking its rule there takes more than its share. */
export type NextWindow = { starts_at: string; ends_at: string } | 'unknown' | null;

export type NextWindowsInput = {
  events: CalendarEvent[];
  from: Date;
  to: Date;
  /** The workspace's zone (see `CalendarExpansion`). */
  timeZone: string;
  /**
   * Periods each event may walk: one whose walk needs more is `unknown`, and the others keep
   * their own share, so a rule that walks far (COUNT from a distant start) costs no other its
   * answer, and the whole costs at most this times the events.
   */
  stepsPerEvent: number;
};

/**
 * Each event's first window that ends after `from` and starts before `to` (null when it has
 * none there), in the order given.
 */
export function nextWindows(input: NextWindowsInput): NextWindow[] {
  return input.events.map((event) => {
    try {
      const [first] = occurrencesBetween(event, input.from, input.to, {
        timeZone: input.timeZone,
        limit: 1,
        budget: { steps: input.stepsPerEvent },
        oneOff: true,
      });
      return first ? { starts_at: first.starts_at, ends_at: first.ends_at } : null;
    } catch (error) {
      if (!(error instanceof RecurrenceBudgetExceeded)) throw error;
      return 'unknown';
    }
  });
}

/** The fields of an event row that expanding it reads (what crosses to a compute thread). */
export const calendarEvent = (row: CalendarEvent): CalendarEvent => ({
  id: row.id,
  kind: row.kind,
  title: row.title,
  startsAt: row.startsAt,
  endsAt: row.endsAt,
  rrule: row.rrule,
  timeZone: row.timeZone,
  excludedStarts: row.excludedStarts,
  extraStarts: row.extraStarts,
  leadDays: row.leadDays,
  lagDays: row.lagDays,
  affectedReasons: row.affectedReasons,
});
