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
  const match = DATE_OR_DATETIME.exec(value.trim());
  if (!match || !isCalendarDate(value.trim().slice(0, 10))) return undefined;
  const text = value.trim().replace(' ', 'T');
  const date = match.groups?.offset ? new Date(text) : fromZonedTime(text, timeZone);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

export function ticketTimeProblem(date: Date, now: Date): string | undefined {
  if (date < EARLIEST_TICKET) return `must not be before ${EARLIEST_TICKET.toISOString()}`;
  if (date.getTime() > now.getTime() + FUTURE_TOLERANCE_MS) return 'must not be in the future';
  return undefined;
}

/** Rejects dates JavaScript would silently roll over, such as 2025-02-30. */
function isCalendarDate(ymd: string): boolean {
  const [year = 0, month = 0, day = 0] = ymd.split('-').map(Number);
  const probe = new Date(Date.UTC(year, month - 1, day));
  return probe.getUTCMonth() === month - 1 && probe.getUTCDate() === day;
}
