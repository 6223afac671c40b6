import { z } from '@hono/zod-openapi';

/**
 * Dates and instants callers send. Years are held to 1900–2199: Postgres has no year 0, and
 * work that walks weeks or recurrences between a year like 9999 and now would be unbounded.
 */
export const EARLIEST_YEAR = 1900;
export const LATEST_YEAR = 2199;

// Text that is no date at all gets the format's message alone, not this one beside it.
const yearInRange = (text: string) => {
  if (!/^\d{4}-/.test(text)) return true;
  const year = Number(text.slice(0, 4));
  return year >= EARLIEST_YEAR && year <= LATEST_YEAR;
};
const yearMessage = `the year must be from ${EARLIEST_YEAR} to ${LATEST_YEAR}`;

/** An ISO 8601 instant with an offset (`2026-03-01T06:00:00Z`). */
export const instantInput = () => z.iso.datetime({ offset: true }).refine(yearInRange, yearMessage);

/** An ISO 8601 calendar date (`2026-03-01`). */
export const dayInput = () => z.iso.date().refine(yearInRange, yearMessage);
