import { formatInTimeZone } from 'date-fns-tz';

/** Weeks are named by their Monday as YYYY-MM-DD; arithmetic on plain dates needs no zone. */

const DAY_MS = 24 * 60 * 60 * 1000;

export function mondayOf(isoDate: string): string {
  const date = new Date(`${isoDate}T00:00:00Z`);
  const sinceMonday = (date.getUTCDay() + 6) % 7;
  return new Date(date.getTime() - sinceMonday * DAY_MS).toISOString().slice(0, 10);
}

export function addWeeks(monday: string, weeks: number): string {
  return new Date(new Date(`${monday}T00:00:00Z`).getTime() + weeks * 7 * DAY_MS)
    .toISOString()
    .slice(0, 10);
}

// The first Monday callers may name (dates are held to 1900–2199: `time-input.ts`).
const EARLIEST_MONDAY = '1900-01-01';

/**
 * The Monday `weeks` before `monday`, or the earliest a caller may name: a default window
 * derived from an early `to` starts there rather than in 1899.
 */
export function weeksBack(monday: string, weeks: number): string {
  return laterWeek(addWeeks(monday, -weeks), EARLIEST_MONDAY);
}

export function weeksBetween(fromMonday: string, toMonday: string): string[] {
  // Counted, not compared as strings: before year 1000 the ISO strings stop sorting as dates.
  const count = weekCount(fromMonday, toMonday);
  return Array.from({ length: Math.max(count, 0) }, (_, i) => addWeeks(fromMonday, i));
}

export function weekCount(fromMonday: string, toMonday: string): number {
  return Math.round((Date.parse(toMonday) - Date.parse(fromMonday)) / (7 * DAY_MS)) + 1;
}

/** The current week's Monday as the workspace sees it. */
export function currentWeek(now: Date, timeZone: string): string {
  return mondayOf(formatInTimeZone(now, timeZone, 'yyyy-MM-dd'));
}

/** The earlier of two Mondays (YYYY-MM-DD strings compare as dates). */
export const earlierWeek = (a: string, b: string) => (a.localeCompare(b) <= 0 ? a : b);

/** The later of two Mondays. */
export const laterWeek = (a: string, b: string) => (a.localeCompare(b) >= 0 ? a : b);
