import { fromZonedTime } from 'date-fns-tz';
import type { Occurrence } from '../events/occurrences';

const DAY_MS = 24 * 60 * 60 * 1000;

/** Instants where each week (named by its Monday) starts, in the workspace time zone. */
export function weekStarts(weeks: string[], timeZone: string): number[] {
  return weeks.map((monday) => fromZonedTime(`${monday}T00:00:00`, timeZone).getTime());
}

/**
 * The share (0–1) of each week covered by an event's windows: the model's x_{e,t}. Weeks
 * are 7 days from their start; overlapping windows of one event do not count twice.
 */
export function weeklyOverlap(occurrences: Occurrence[], starts: number[]): number[] {
  return starts.map((start) => {
    const end = start + 7 * DAY_MS;
    const covered = occurrences
      .map(
        (o) =>
          [Math.max(start, Date.parse(o.starts_at)), Math.min(end, Date.parse(o.ends_at))] as const,
      )
      .filter(([a, b]) => b > a)
      .sort((x, y) => x[0] - y[0]);
    let total = 0;
    let reach = start;
    for (const [a, b] of covered) {
      total += Math.max(0, b - Math.max(a, reach));
      reach = Math.max(reach, b);
    }
    return Math.min(1, total / (7 * DAY_MS));
  });
}
