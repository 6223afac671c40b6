import { fromZonedTime } from 'date-fns-tz';
import type { Occurrence } from '../events/event-schemas';

const DAY_MS = 24 * 60 * 60 * 1000;
const WEEK_MS = 7 * DAY_MS;

/** Instants where each week (named by its Monday) starts, in the workspace time zone. */
export function weekStarts(weeks: string[], timeZone: string): number[] {
  let known = startsByZone.get(timeZone);
  if (!known || known.size > KEPT_STARTS) {
    known = new Map();
    startsByZone.set(timeZone, known);
  }
  const zone = known;
  return weeks.map((monday) => {
    let start = zone.get(monday);
    if (start === undefined) {
      start = fromZonedTime(`${monday}T00:00:00`, timeZone).getTime();
      zone.set(monday, start);
    }
    return start;
  });
}

// A time-zone conversion costs microseconds and every detection input and patterns read
// converts hundreds of Mondays, the same ones each time: they are kept (a few decades' worth).
const KEPT_STARTS = 5_000;
const startsByZone = new Map<string, Map<string, number>>();

/** Share of a week's contacts falling on each day, Monday first. */
export type WeekdayShares = readonly number[];

const EVEN_WEEK: WeekdayShares = Array.from({ length: 7 }, () => 1 / 7);
// Weeks of contacts a week's day-of-week shares are learnt from, and the weight (in
// contacts) of an even week they start from, so a thin history barely moves them.
const RHYTHM_WEEKS = 52;
const EVEN_PRIOR = 70;

/**
 * Each week's day-of-week shares, learnt from the contacts of the 52 weeks before it only (so
 * a week's verdict never depends on what came after it). `contacts[w][d]` holds week w's
 * contacts on day d (Monday first).
 */
export function weekdayShares(contacts: readonly (readonly number[])[]): WeekdayShares[] {
  const sums = new Float64Array(7);
  return contacts.map((_, w) => {
    const total = sums.reduce((a, b) => a + b, 0);
    const shares = Array.from(sums, (sum) => (sum + EVEN_PRIOR / 7) / (total + EVEN_PRIOR));
    const week = contacts[w];
    const dropped = contacts[w - RHYTHM_WEEKS];
    sums.forEach((sum, d) => {
      sums[d] = sum + (week?.[d] ?? 0) - (dropped?.[d] ?? 0);
    });
    return shares;
  });
}

/**
 * The share (0–1) of each week's contacts that an event's windows cover: the model's
 * x_{e,t}. Time covered on a day counts by that day's share of the week (`shares`, even when
 * not given), so a billing run on a Sunday touches a weekday-heavy workspace far less than
 * one on a Monday. Weeks are 7 days from their start (`starts` ascending); overlapping
 * windows of one event do not count twice. Windows are merged first, then each is spread over
 * the days it touches.
 */
export function weeklyOverlap(
  occurrences: Pick<Occurrence, 'starts_at' | 'ends_at'>[],
  starts: number[],
  shares?: WeekdayShares[],
): number[] {
  const overlap = starts.map(() => 0);
  const windows = occurrences
    .map((o): [number, number] => [Date.parse(o.starts_at), Date.parse(o.ends_at)])
    .filter(([a, b]) => b > a)
    .sort((x, y) => x[0] - y[0]);
  const merged: [number, number][] = [];
  for (const [a, b] of windows) {
    const last = merged.at(-1);
    if (last && a <= last[1]) last[1] = Math.max(last[1], b);
    else merged.push([a, b]);
  }
  for (const [a, b] of merged) {
    // The first week whose end is after the window's start.
    let lo = 0;
    let hi = starts.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const start = starts[mid];
      if (start !== undefined && start + WEEK_MS <= a) lo = mid + 1;
      else hi = mid;
    }
    for (let w = lo; w < starts.length; w++) {
      const start = starts[w];
      if (start === undefined || start >= b) break;
      const week = shares?.[w] ?? EVEN_WEEK;
      let share = 0;
      for (let d = 0; d < 7; d++) {
        const day = start + d * DAY_MS;
        const covered = Math.min(b, day + DAY_MS) - Math.max(a, day);
        if (covered > 0) share += ((week[d] ?? 0) * covered) / DAY_MS;
      }
      overlap[w] = Math.min(1, (overlap[w] ?? 0) + share);
    }
  }
  return overlap;
}
