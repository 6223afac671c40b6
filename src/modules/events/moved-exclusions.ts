import { zoneClock } from '../../lib/time-zone';
import { type CalendarEvent, type CalendarExpansion, expandCalendar } from './occurrences';
import { isDay } from './recurrence-exceptions';

/**
 * An excluded start names one start of a series, as RFC 5545's RECURRENCE-ID does: when the
 * series moves (a new `starts_at` or zone), the start it names moves with it, or the
 * cancelled occurrence would come back unseen. Each excluded instant or day becomes the first
 * of these that is a start of the moved series: itself (at the same local time, if the zone
 * changed), which a series moved by a day or by whole periods mostly still has; then the
 * move's shift of local time in the event's zone applied to it (to its time of day alone, to
 * its time and day, to its day alone), unless the series had that start before the move too
 * (or would have, but for its COUNT or UNTIL), which would cancel an occurrence nobody
 * cancelled: a weekly series starting two weeks later shifts none of its starts. One that
 * names none of them is kept as it was.
 */
export type ExclusionsMove = {
  /** The series before and after the move, none of their starts excluded, over one range. */
  before: CalendarExpansion;
  after: CalendarExpansion;
  /** Per excluded start: instants (ms) or days (YYYY-MM-DD), itself first, then shifted. */
  candidates: { own: (number | string)[]; shifted: (number | string)[] }[];
};

const DAY_MS = 86_400_000;

const timeOfDay = (wall: number) => wall - Math.floor(wall / DAY_MS) * DAY_MS;
const dayOfWall = (wall: number) => new Date(wall).toISOString().slice(0, 10);

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
  const newWall = newClock ? newClock.toWallClock(newStart) : newStart;
  const dayShift = (Math.floor(newWall / DAY_MS) - Math.floor(oldWall / DAY_MS)) * DAY_MS;
  const timeShift = timeOfDay(newWall) - timeOfDay(oldWall);
  let [first, last] = [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY];
  const candidates = after.excludedStarts.map((value) => {
    // A day names the start on it: the one at the series' time of day.
    const wall = isDay(value) ? Date.parse(value) + timeOfDay(oldWall) : toWall(Date.parse(value));
    const walls = [wall + timeShift, wall + dayShift + timeShift, wall + dayShift];
    first = Math.min(first, wall, ...walls);
    last = Math.max(last, wall, ...walls);
    const own: (number | string)[] = isDay(value) ? [value] : [Date.parse(value), toInstant(wall)];
    const shifted = isDay(value) ? walls.map(dayOfWall) : walls.map(toInstant);
    return { own, shifted: shifted.filter((v) => !own.includes(v)) };
  });
  // Local times are within a day of their instants: two days either side hold every start.
  const range = (event: CalendarEvent): CalendarExpansion => ({
    events: [{ ...event, excludedStarts: [] }],
    from: new Date(first - 2 * DAY_MS),
    to: new Date(last + 2 * DAY_MS),
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
  };
}

/** The excluded starts after the move (see `ExclusionsMove`): instants in ISO form, and days. */
export function movedExclusions(move: ExclusionsMove): string[] {
  const [had, has] = [startsOf(move.before), startsOf(move.after)];
  return move.candidates.map(({ own, shifted }) => {
    const named = own.find((v) => has(v)) ?? shifted.find((v) => has(v) && !had(v)) ?? own[0] ?? '';
    return typeof named === 'number' ? new Date(named).toISOString() : named;
  });
}

/** Whether an instant (ms), or a day of the series' zone, has a start of the series. */
function startsOf(series: CalendarExpansion): (value: number | string) => boolean {
  const clock = zoneClock(series.events[0]?.timeZone ?? series.timeZone);
  const instants = new Set(expandCalendar(series).map((o) => Date.parse(o.starts_at)));
  const days = new Set([...instants].map((ms) => dayOfWall(clock ? clock.toWallClock(ms) : ms)));
  return (value) => (typeof value === 'string' ? days.has(value) : instants.has(value));
}
