import type { Calendar, EventTerm } from './detect';

const DAY_MS = 86_400_000;
// 1970-01-05 was a Monday: weeks are numbered from it, so model blocks are fixed in time.
const EPOCH_MONDAY = Date.UTC(1970, 0, 5);

const PERIOD_DAYS = 28;
/** Seasonal factor levels: periods of `PERIOD_DAYS` days from January 1st. */
export const SEASON_PERIODS = Math.ceil(366 / PERIOD_DAYS);

/** The seasonal period of the week starting `monday` (by its Thursday's day of the year). */
export function seasonOf(monday: string): number {
  const thursday = new Date(Date.parse(`${monday}T00:00:00Z`) + 3 * DAY_MS);
  const dayOfYear = (thursday.getTime() - Date.UTC(thursday.getUTCFullYear(), 0, 1)) / DAY_MS;
  return Math.min(SEASON_PERIODS - 1, Math.floor(dayOfYear / PERIOD_DAYS));
}

export function weekNumber(monday: string): number {
  return Math.round((Date.parse(`${monday}T00:00:00Z`) - EPOCH_MONDAY) / (7 * DAY_MS));
}

/**
 * The share of the week starting `monday` that falls between Christmas Eve and New Year's
 * Day, when support volume drops in most places whether or not the calendar says so.
 */
export function yearEndOf(monday: string): number {
  const start = Date.parse(`${monday}T00:00:00Z`);
  let days = 0;
  for (let d = 0; d < 7; d++) {
    const date = new Date(start + d * DAY_MS);
    const month = date.getUTCMonth();
    const day = date.getUTCDate();
    if ((month === 11 && day >= 24) || (month === 0 && day === 1)) days++;
  }
  return days / 7;
}

/** What detection knows of the calendar for a series whose weeks are these Mondays. */
export function calendarOf(weeks: string[], events: EventTerm[]): Calendar {
  return {
    season: weeks.map(seasonOf),
    yearEnd: weeks.map(yearEndOf),
    firstWeek: weekNumber(weeks[0] ?? '1970-01-05'),
    events,
  };
}
