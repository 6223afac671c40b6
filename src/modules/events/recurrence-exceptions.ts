import { zoneClock } from '../../lib/time-zone';

/**
 * RFC 5545's recurrence set: the starts of the rule and the extra starts (RDATE), less the
 * excluded ones (EXDATE), each start once. An excluded instant matches the start at that
 * instant; an excluded day (YYYY-MM-DD, an EXDATE of DATE value) matches the start on that
 * day on the wall clock the rule keeps.
 */
export type RecurrenceExceptions = { excludedStarts: string[]; extraStarts: string[] };

/** Most excluded starts, and most extra starts, one event may have. */
export const MAX_EXCEPTIONS = 500;

export const isDay = (value: string) => /^\d{4}-\d{2}-\d{2}$/.test(value);

type Parsed = { from: string[]; instants: Set<number>; days: Set<string>; extras: number[] };

// Detection expands the same events over and over: an event's lists are read once per pair
// of arrays (an edited event, read from the database again, has new ones).
const parsedLists = new WeakMap<string[], Parsed>();

function parsed({ excludedStarts, extraStarts }: RecurrenceExceptions): Parsed {
  let found = parsedLists.get(excludedStarts);
  if (found?.from !== extraStarts) {
    found = {
      from: extraStarts,
      instants: new Set(excludedStarts.filter((v) => !isDay(v)).map((v) => Date.parse(v))),
      days: new Set(excludedStarts.filter(isDay)),
      extras: extraStarts.map((v) => Date.parse(v)),
    };
    parsedLists.set(excludedStarts, found);
  }
  return found;
}

/**
 * The recurrence set's starts in [after, before], earliest first, from the rule's starts in
 * that range. When the rule's walk stopped early (at the starts its caller can use), it
 * says where (`walkedTo`): an extra start after it would jump rule starts never walked.
 */
export function recurrenceSet(
  ruleStarts: Date[],
  exceptions: RecurrenceExceptions,
  range: { after: Date; before: Date; timeZone: string; walkedTo?: Date },
): Date[] {
  if (exceptions.excludedStarts.length === 0 && exceptions.extraStarts.length === 0) {
    return ruleStarts;
  }
  const { instants, days, extras } = parsed(exceptions);
  const clock = days.size > 0 ? zoneClock(range.timeZone) : null;
  const dayOf = (ms: number) => new Date(clock ? clock.toWallClock(ms) : ms).toISOString();
  const excluded = (ms: number) =>
    instants.has(ms) || (days.size > 0 && days.has(dayOf(ms).slice(0, 10)));
  const last = Math.min(range.before.getTime(), range.walkedTo?.getTime() ?? Infinity);
  const kept = new Set<number>();
  for (const start of ruleStarts) if (!excluded(start.getTime())) kept.add(start.getTime());
  for (const extra of extras) {
    if (extra >= range.after.getTime() && extra <= last && !excluded(extra)) kept.add(extra);
  }
  return [...kept].sort((a, b) => a - b).map((ms) => new Date(ms));
}
