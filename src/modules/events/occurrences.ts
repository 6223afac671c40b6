import * as rruleModule from 'rrule';
import type { EventKind } from '../../db/schema';

// rrule's CommonJS build (what Node loads) puts everything on `default`; its ESM build (what
// bundlers such as wrangler pick) has named exports only.
const rrule = ((rruleModule as unknown as { default?: typeof rruleModule }).default ??
  rruleModule) as typeof rruleModule;
const { rrulestr, RRule } = rrule;

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

export type Occurrence = {
  event_id: string;
  kind: EventKind;
  title: string;
  starts_at: string;
  ends_at: string;
  affected_reasons: string[];
};

const DAY_MS = 24 * 60 * 60 * 1000;

/** Returns an error message when the rule cannot be used, or undefined when it can. */
export function rruleProblem(rule: string): string | undefined {
  if (/DTSTART|RRULE:/i.test(rule))
    return 'give only the rule parts, e.g. FREQ=MONTHLY;BYMONTHDAY=1';
  try {
    const parsed = rrulestr(rule, { dtstart: new Date(0) });
    // Sub-daily recurrences are not calendar events and would expand without bound.
    if (parsed.options.freq > RRule.DAILY) return 'FREQ must be DAILY or coarser';
    return undefined;
  } catch (error) {
    return `is not a valid RFC 5545 RRULE (${(error as Error).message})`;
  }
}

/**
 * The windows of an event that touch [from, to), widened by its lead and lag when `padded`
 * (what the spike model uses: contacts arrive before and after the event itself).
 */
export function occurrencesBetween(
  event: CalendarEvent,
  from: Date,
  to: Date,
  options: { padded?: boolean; limit?: number } = {},
): Occurrence[] {
  const duration = event.endsAt.getTime() - event.startsAt.getTime();
  const lead = options.padded ? event.leadDays * DAY_MS : 0;
  const lag = options.padded ? event.lagDays * DAY_MS : 0;
  const starts = event.rrule
    ? rrulestr(event.rrule, { dtstart: event.startsAt }).between(
        new Date(from.getTime() - duration - lag),
        new Date(to.getTime() + lead),
        true,
      )
    : [event.startsAt];
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
