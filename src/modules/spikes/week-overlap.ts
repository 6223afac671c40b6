import { fromZonedTime } from 'date-fns-tz';
import type { Occurrence } from '../events/occurrences';

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

/**
 * The share (0–1) of each week covered by an event's windows: the model's x_{e,t}. Weeks
 * are 7 days from their start (`starts` ascending); overlapping windows of one event do not
 * count twice. Windows are merged first, then each is spread over the weeks it touches.
 */
export function weeklyOverlap(occurrences: Occurrence[], starts: number[]): number[] {
  const overlap = starts.map(() => 0);
  const windows = occurrences
    .map((o) => [Date.parse(o.starts_at), Date.parse(o.ends_at)] as [number, number])
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
      if ((starts[mid] as number) + WEEK_MS <= a) lo = mid + 1;
      else hi = mid;
    }
    for (let w = lo; w < starts.length && (starts[w] as number) < b; w++) {
      const start = starts[w] as number;
      const covered = Math.min(b, start + WEEK_MS) - Math.max(a, start);
      if (covered > 0) overlap[w] = Math.min(1, (overlap[w] as number) + covered / WEEK_MS);
    }
  }
  return overlap;
}
