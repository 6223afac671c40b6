import { zoneClock } from '../../lib/time-zone';
import { type CalendarEvent, type CalendarExpansion, expandCalendar } from './occurrences';
import { isDay } from './recurrence-exceptions';

/**
 * An excluded start names one start of a series, as RFC 5545's RECURRENCE-ID does: when the
 * series moves (a new `starts_at` or zone), the start it names moves with it, or the
 * cancelled occurrence would come back unseen. Each excluded instant or day stays where it is
 * when the moved series still starts there (at the same local time, if the zone changed);
 * otherwise it goes to the moved series' start nearest to it at the move's new time of day,
 * within half the rule's period, that the series did not have before (or would not have had
 * but for its COUNT or UNTIL): a weekly series moved from Monday to Tuesday cancels the
 * Tuesday after each cancelled Monday, while one starting two weeks later cancels nothing
 * nobody cancelled. One that names none is kept as it was.
 */
export type ExclusionsMove = {
  /** The series before and after the move, none of their starts excluded, over one range. */
  before: CalendarExpansion;
  after: CalendarExpansion;
  /** Per excluded start: itself (instants in ms, or a day), and the instant it moves near. */
  candidates: { own: (number | string)[]; target: number; day: boolean }[];
  /** How far from its target an excluded start may move: half the rule's period. */
  reachMs: number;
};

const DAY_MS = 86_400_000;

const PERIOD_DAYS: Record<string, number> = { DAILY: 1, WEEKLY: 7, MONTHLY: 31, YEARLY: 366 };

const timeOfDay = (wall: number) => wall - Math.floor(wall / DAY_MS) * DAY_MS;
const dayOfWall = (wall: number) => new Date(wall).toISOString().slice(0, 10);

function halfPeriodMs(rrule: string | null): number {
  const freq = /FREQ=(\w+)/i.exec(rrule ?? '')?.[1]?.toUpperCase() ?? 'DAILY';
  const interval = Number(/INTERVAL=(\d+)/i.exec(rrule ?? '')?.[1] ?? 1) || 1;
  return ((PERIOD_DAYS[freq] ?? 1) * interval * DAY_MS) / 2;
}

/**
 * Where the excluded starts of `after` (named as before the move) may go, now that the series
 * is `after` instead of `before`. `calendar` is the workspace's zone (the one of an event
 * without its own) and the periods each expansion may walk.
 */
export function exclusionsMove(
  before: CalendarEvent,
  after: CalendarEvent,
  calendar: { timeZone: string; steps: number },
): ExclusionsMove {
  const oldClock = zoneClock(before.timeZone ?? calendar.timeZone);
  const newClock = zoneClock(after.timeZone ?? calendar.timeZone);
  const toWall = (ms: number) => (oldClock ? oldClock.toWallClock(ms) : ms);
  const toInstant = (wall: number) => (newClock ? newClock.toInstant(wall) : wall);
  const oldWall = toWall(before.startsAt.getTime());
  const newStart = after.startsAt.getTime();
  const timeShift =
    timeOfDay(newClock ? newClock.toWallClock(newStart) : newStart) - timeOfDay(oldWall);
  const reachMs = halfPeriodMs(after.rrule);
  let [first, last] = [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY];
  const candidates = after.excludedStarts.map((value) => {
    // A day names the start on it: the one at the series' time of day.
    const day = isDay(value);
    const wall = day ? Date.parse(value) + timeOfDay(oldWall) : toWall(Date.parse(value));
    const target = toInstant(wall + timeShift);
    first = Math.min(first, target, Date.parse(value));
    last = Math.max(last, target, Date.parse(value));
    return { own: day ? [value] : [Date.parse(value), toInstant(wall)], target, day };
  });
  // Local times are within a day of their instants.
  const range = (event: CalendarEvent): CalendarExpansion => ({
    events: [{ ...event, excludedStarts: [] }],
    from: new Date(first - reachMs - 2 * DAY_MS),
    to: new Date(last + reachMs + 2 * DAY_MS),
    limit: Number.MAX_SAFE_INTEGER,
    steps: calendar.steps,
    timeZone: calendar.timeZone,
  });
  // The grid the series had: a start it would have had but for its COUNT or UNTIL is one too.
  const rrule = before.rrule?.split(';').filter((part) => !/^(COUNT|UNTIL)=/i.test(part));
  return {
    before: range({ ...before, rrule: rrule?.join(';') || null }),
    after: range(after),
    candidates,
    reachMs,
  };
}

/** The excluded starts after the move (see `ExclusionsMove`): instants in ISO form, and days. */
export function movedExclusions(move: ExclusionsMove): string[] {
  const [had, has] = [startsOf(move.before), startsOf(move.after)];
  const written = (value: number | string) =>
    typeof value === 'number' ? new Date(value).toISOString() : value;
  return move.candidates.map(({ own, target, day }) => {
    const kept = own.find((v) => has.includes(v));
    if (kept !== undefined) return written(kept);
    let nearest: number | undefined;
    for (const start of has.instants) {
      const distance = Math.abs(start - target);
      if (distance > move.reachMs || had.includes(start)) continue;
      if (nearest === undefined || distance < Math.abs(nearest - target)) nearest = start;
    }
    if (nearest === undefined) return written(own[0] ?? '');
    return day ? has.dayOf(nearest) : written(nearest);
  });
}

/** A series' starts: as instants (ms), and whether an instant or a day of its zone has one. */
function startsOf(series: CalendarExpansion) {
  const clock = zoneClock(series.events[0]?.timeZone ?? series.timeZone);
  const dayOf = (ms: number) => dayOfWall(clock ? clock.toWallClock(ms) : ms);
  const instants = expandCalendar(series).map((o) => Date.parse(o.starts_at));
  const instantSet = new Set(instants);
  const days = new Set(instants.map(dayOf));
  return {
    instants,
    dayOf,
    includes: (value: number | string) =>
      typeof value === 'string' ? days.has(value) : instantSet.has(value),
  };
}
