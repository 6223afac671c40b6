import { zoneClock } from '../../lib/time-zone';
import { type CalendarEvent, type CalendarExpansion, expandCalendar } from './occurrences';
import { isDay } from './recurrence-exceptions';
import { longestPeriodDays } from './recurrence-rule';

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
  /**
   * The series before and after the move, none of their starts excluded, each over the same
   * stretches of the calendar: a few days around each excluded start (those less than a
   * month apart joined), so the work grows with the excluded starts, not with the years
   * between them. A moved series that a COUNT ends walks from its first start whatever the
   * range, so it has one stretch from the first to the last (its COUNT, at most 10,000,
   * bounds it).
   */
  before: CalendarExpansion[];
  after: CalendarExpansion[];
  /** Per excluded start: itself (instants in ms, or a day), and the instant it moves near. */
  candidates: { own: (number | string)[]; target: number; day: boolean }[];
  /** How far from its target an excluded start may move: half the rule's period. */
  reachMs: number;
};

const DAY_MS = 86_400_000;

const timeOfDay = (wall: number) => wall - Math.floor(wall / DAY_MS) * DAY_MS;
const dayOfWall = (wall: number) => new Date(wall).toISOString().slice(0, 10);

function halfPeriodMs(rrule: string | null): number {
  return (longestPeriodDays(rrule) * DAY_MS) / 2;
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
  const stretches: { from: number; to: number }[] = [];
  const candidates = after.excludedStarts.map((value) => {
    // A day names the start on it: the one at the series' time of day.
    const day = isDay(value);
    const wall = day ? Date.parse(value) + timeOfDay(oldWall) : toWall(Date.parse(value));
    const target = toInstant(wall + timeShift);
    // Local times are within a day of their instants: two days either side hold every start
    // the excluded start may name or move to.
    stretches.push({
      from: Math.min(target, Date.parse(value)) - reachMs - 2 * DAY_MS,
      to: Math.max(target, Date.parse(value)) + reachMs + 2 * DAY_MS,
    });
    return { own: day ? [value] : [Date.parse(value), toInstant(wall)], target, day };
  });
  const merged = mergedStretches(stretches, JOINED_GAP_MS);
  const over = (event: CalendarEvent, parts: { from: number; to: number }[]) => {
    // One object for every stretch: a compute thread receives the event (and its extra
    // starts) once.
    const series = { ...event, excludedStarts: [] };
    return parts.map(
      ({ from, to }): CalendarExpansion => ({
        events: [series],
        from: new Date(from),
        to: new Date(to),
        limit: Number.MAX_SAFE_INTEGER,
        steps: calendar.steps,
        timeZone: calendar.timeZone,
        // Hundreds of stretches walked once would push out the walks detection asks for.
        oneOff: true,
      }),
    );
  };
  const whole = [{ from: merged[0]?.from ?? 0, to: merged.at(-1)?.to ?? 0 }];
  // The grid the series had: a start it would have had but for its COUNT or UNTIL is one too.
  const rrule = before.rrule?.split(';').filter((part) => !/^(COUNT|UNTIL)=/i.test(part));
  return {
    before: over({ ...before, rrule: rrule?.join(';') || null }, merged),
    after: over(after, /COUNT=/i.test(after.rrule ?? '') ? whole : merged),
    candidates,
    reachMs,
  };
}

/**
 * rrule takes about as long to start a walk as to walk a month of daily starts: stretches
 * closer than that are walked as one, so excluded starts a few days or weeks apart cost no
 * more than one range over them (each adds at most a month to it).
 */
const JOINED_GAP_MS = 31 * DAY_MS;

/** Stretches of time, earliest first, those less than `gap` apart joined. */
function mergedStretches(stretches: { from: number; to: number }[], gap: number) {
  const merged: { from: number; to: number }[] = [];
  for (const next of [...stretches].sort((a, b) => a.from - b.from)) {
    const last = merged.at(-1);
    if (last && next.from - last.to < gap) last.to = Math.max(last.to, next.to);
    else merged.push({ ...next });
  }
  return merged;
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
    for (const start of has.near(target, move.reachMs)) {
      if (had.includes(start)) continue;
      const distance = Math.abs(start - target);
      if (nearest === undefined || distance < Math.abs(nearest - target)) nearest = start;
    }
    if (nearest === undefined) return written(own[0] ?? '');
    return day ? has.dayOf(nearest) : written(nearest);
  });
}

/** A series' starts: whether an instant or a day of its zone has one, and those near one. */
function startsOf(stretches: CalendarExpansion[]) {
  const first = stretches[0];
  const clock = zoneClock(first?.events[0]?.timeZone ?? first?.timeZone ?? 'UTC');
  const dayOf = (ms: number) => dayOfWall(clock ? clock.toWallClock(ms) : ms);
  const instants = [
    ...new Set(stretches.flatMap((s) => expandCalendar(s).map((o) => Date.parse(o.starts_at)))),
  ].sort((a, b) => a - b);
  const instantSet = new Set(instants);
  const days = new Set(instants.map(dayOf));
  return {
    dayOf,
    includes: (value: number | string) =>
      typeof value === 'string' ? days.has(value) : instantSet.has(value),
    /** The starts within `reach` of `target`, earliest first. */
    near: (target: number, reach: number) =>
      instants.slice(firstFrom(instants, target - reach), firstFrom(instants, target + reach + 1)),
  };
}

/** Where the first of `sorted` at or after `value` is (its length when there is none). */
function firstFrom(sorted: number[], value: number): number {
  let [low, high] = [0, sorted.length];
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((sorted[middle] ?? 0) < value) low = middle + 1;
    else high = middle;
  }
  return low;
}
