import { fromZonedTime } from 'date-fns-tz';

const DATE_OR_DATETIME =
  /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)?(?<offset>Z|[+-]\d{2}:?\d{2})?$/i;

export const EARLIEST_TICKET = new Date('1990-01-01T00:00:00Z');
// Clocks of ticketing systems drift; a contact stamped a little ahead of ours is still real.
const FUTURE_TOLERANCE_MS = 24 * 60 * 60 * 1000;

/**
 * Reads a ticket timestamp. With an offset it is an instant; without one (`2025-01-09`,
 * `2025-01-09 14:30`) it is wall time in the workspace time zone, as exports usually are.
 */
export function parseTicketTime(value: string, timeZone: string): Date | undefined {
  const trimmed = value.trim();
  const match = DATE_OR_DATETIME.exec(trimmed);
  if (!match || !isCalendarDate(trimmed)) return undefined;
  // Milliseconds are what a Date holds; the zone conversion rounds longer fractions, and
  // .9999999 (seven digits, as .NET writes) became the next second, day and week.
  const text = trimmed.replace(' ', 'T').replace(/(\.\d{3})\d+/, '$1');
  const date = match.groups?.offset ? new Date(text) : fromZonedTime(text, timeZone);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

export function ticketTimeProblem(date: Date, now: Date): string | undefined {
  if (date.getTime() < EARLIEST_TICKET.getTime())
    return `must not be before ${EARLIEST_TICKET.toISOString()}`;
  if (date.getTime() > now.getTime() + FUTURE_TOLERANCE_MS) return 'must not be in the future';
  return undefined;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Rejects dates JavaScript would silently roll over, such as 2025-02-30 (YYYY-MM-DD…). */
function isCalendarDate(text: string): boolean {
  const year = Number(text.slice(0, 4));
  const month = Number(text.slice(5, 7));
  const day = Number(text.slice(8, 10));
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const days = month === 2 && leap ? 29 : (DAYS_IN_MONTH[month - 1] ?? 0);
  return day >= 1 && day <= days;
}

/** Whether a source's time is before the one stored (either unknown: not older). */
export const isOlder = (sent: string | null, stored: string | null) =>
  sent !== null && stored !== null && Date.parse(sent) < Date.parse(stored);
