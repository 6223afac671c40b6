import { fromZonedTime } from 'date-fns-tz';
import { sql } from 'drizzle-orm';
import ICAL from 'ical.js';
import { v7 as uuidv7 } from 'uuid';
import { jsonParam, rowsOf } from '../../db/json-param';
import type { EventKind } from '../../db/schema';
import type { Deps } from '../../deps';
import { AppError, type FieldError } from '../../http/app-error';
import { unsafeTextProblem } from '../../http/safe-text';
import { EARLIEST_YEAR, LATEST_YEAR } from '../../http/time-input';
import { isTimeZone } from '../../lib/time-zone';
import { calendarProblems } from './events.service';

export type IcsImport = { kind: EventKind; lead_days: number; lag_days: number };
export type IcsImportResult = { imported: number; updated: number; skipped: FieldError[] };

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Adds the events of an iCalendar feed (RFC 5545), one per VEVENT, keyed by its UID: importing
 * the feed again updates them instead of adding copies. A VEVENT's RRULE is kept as the
 * event's recurrence. A feed with an invalid VEVENT (a time that is not one, an unknown TZID,
 * an end before the start, a bad RRULE) is refused whole with each problem named (422). Times
 * with a TZID are read in that zone (from the feed's VTIMEZONE, or as an IANA name), floating
 * times and all-day dates in the workspace time zone. Cancelled events and changed single
 * occurrences (RECURRENCE-ID) are skipped and listed.
 */
export async function importIcs(
  deps: Deps,
  text: string,
  options: IcsImport,
): Promise<IcsImportResult> {
  const calendar = parseCalendar(text);
  for (const zone of calendar.getAllSubcomponents('vtimezone')) {
    ICAL.TimezoneService.register(zone);
  }
  const skipped: FieldError[] = [];
  const invalid: FieldError[] = [];
  const rows = new Map<string, EventRow>();
  calendar.getAllSubcomponents('vevent').forEach((vevent, index) => {
    const uid = decoded(() => vevent.getFirstPropertyValue('uid')) ?? 'no UID';
    const name = `VEVENT ${index + 1} (${uid})`;
    const unreadable: FieldError[] = [
      { location: 'body', path: name, message: 'has a property that cannot be read' },
    ];
    const row =
      decoded(() => toEventRow(vevent, deps.config.workspaceTimeZone, name)) ?? unreadable;
    if (typeof row === 'string') skipped.push({ location: 'body', path: name, message: row });
    else if (Array.isArray(row)) invalid.push(...row);
    else rows.set(row.origin_id, row);
  });
  if (invalid.length > 0) {
    const problems = `${invalid.length} problem${invalid.length === 1 ? '' : 's'}`;
    throw new AppError(
      'invalid_calendar',
      `${problems} in the calendar; nothing was imported.`,
      invalid,
    );
  }
  if (rows.size === 0) return { imported: 0, updated: 0, skipped };
  const now = deps.clock.now().toISOString();
  const result = rowsOf<{ inserted: boolean }>(
    await deps.db.execute(sql`
      insert into events (id, kind, title, starts_at, ends_at, rrule, lead_days, lag_days,
                          origin, origin_id, created_at, updated_at)
      select id::uuid, ${options.kind}, title, starts_at, ends_at, rrule,
             ${options.lead_days}, ${options.lag_days}, 'ics', origin_id,
             ${now}::timestamptz, ${now}::timestamptz
      from jsonb_to_recordset(${jsonParam([...rows.values()])})
        as e(id text, title text, starts_at timestamptz, ends_at timestamptz, rrule text,
             origin_id text)
      on conflict (origin, origin_id) do update
        set kind = excluded.kind, title = excluded.title, starts_at = excluded.starts_at,
            ends_at = excluded.ends_at, rrule = excluded.rrule, lead_days = excluded.lead_days,
            lag_days = excluded.lag_days, updated_at = excluded.updated_at
      returning (xmax = 0) as inserted`),
  );
  deps.afterDetectionInputChange(deps);
  const imported = result.filter((row) => row.inserted).length;
  return { imported, updated: result.length - imported, skipped };
}

type EventRow = {
  id: string;
  title: string;
  starts_at: string;
  ends_at: string;
  rrule: string | null;
  origin_id: string;
};

/**
 * The event a VEVENT describes; why it is skipped (a string); or what is wrong with it (each
 * problem naming the property), which refuses the whole feed.
 */
function toEventRow(
  vevent: ICAL.Component,
  workspaceZone: string,
  name: string,
): EventRow | string | FieldError[] {
  const event = new ICAL.Event(vevent);
  if (!event.uid || !vevent.hasProperty('dtstart')) return 'has no UID or DTSTART';
  if (event.isRecurrenceException()) return 'changes one occurrence (RECURRENCE-ID)';
  if (String(vevent.getFirstPropertyValue('status') ?? '').toUpperCase() === 'CANCELLED') {
    return 'is cancelled';
  }
  const problems: FieldError[] = [];
  const problem = (property: string, message: string) =>
    problems.push({ location: 'body', path: `${name}.${property}`, message });
  const startsAt = instantOf(vevent, 'dtstart', () => event.startDate, workspaceZone, problem);
  // Without DTEND or DURATION an all-day event lasts its day, a timed one is an instant
  // (RFC 5545 3.6.1).
  const endsAt = vevent.hasProperty('dtend')
    ? instantOf(vevent, 'dtend', () => event.endDate, workspaceZone, problem)
    : startsAt &&
      (vevent.hasProperty('duration')
        ? durationEnd(startsAt, () => event.duration, problem)
        : new Date(startsAt.getTime() + (event.startDate.isDate ? DAY_MS : 0)));
  const rule = vevent.getFirstPropertyValue('rrule');
  const rrule = rule ? String(rule) : null;
  if (startsAt && endsAt) {
    const calendar = calendarProblems(startsAt, endsAt, rrule, {
      start: 'DTSTART',
      end: 'DTEND',
      rule: `${name}.RRULE`,
    });
    for (const found of calendar) {
      problems.push(found.path === 'DTEND' ? { ...found, path: `${name}.DTEND` } : found);
    }
  }
  if (problems.length > 0 || !startsAt || !endsAt) return problems;
  return {
    id: uuidv7(),
    title: (event.summary || 'Untitled event').slice(0, 200),
    starts_at: startsAt.toISOString(),
    ends_at: endsAt.toISOString(),
    rrule,
    origin_id: event.uid,
  };
}

function parseCalendar(text: string): ICAL.Component {
  const unsafe = unsafeTextProblem(text);
  if (unsafe) throw notACalendar(unsafe);
  let calendar: ICAL.Component;
  try {
    calendar = new ICAL.Component(ICAL.parse(text));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw notACalendar(`is not valid iCalendar: ${reason}`);
  }
  if (calendar.name !== 'vcalendar') throw notACalendar('must be a VCALENDAR');
  return calendar;
}

/** ical.js decodes a value when it is first read, and throws then if it is not one. */
function decoded<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}

function durationEnd(
  startsAt: Date,
  read: () => ICAL.Duration,
  problem: (property: string, message: string) => void,
): Date | undefined {
  const seconds = decoded(read)?.toSeconds();
  if (seconds === undefined || !Number.isFinite(seconds)) {
    problem('DURATION', 'is not a duration such as PT2H');
    return undefined;
  }
  return new Date(startsAt.getTime() + seconds * 1000);
}

const notACalendar = (message: string) =>
  new AppError('validation_failed', 'The body is not an iCalendar feed; nothing was imported.', [
    { location: 'body', path: 'body', message },
  ]);

/**
 * The instant of an iCalendar time: UTC; in a zone the feed defined (VTIMEZONE); in its TZID
 * read as an IANA name; otherwise (floating times, all-day dates) on the workspace's clock.
 * A TZID that is neither, a time that is not one, or a year outside 1900–2199 is a problem.
 */
function instantOf(
  vevent: ICAL.Component,
  property: string,
  read: () => ICAL.Time | undefined,
  workspaceZone: string,
  problem: (property: string, message: string) => void,
): Date | undefined {
  const name = property.toUpperCase();
  const time = decoded(read);
  const tzid = vevent.getFirstProperty(property)?.getParameter('tzid');
  const zone = time?.zone?.tzid;
  let instant: Date | undefined;
  if (!time || !/^\d{4}-\d{2}-\d{2}/.test(time.toString())) {
    problem(name, 'is not a date or date-time');
  } else if (zone === 'UTC' || (zone && zone !== 'floating' && ICAL.TimezoneService.has(zone))) {
    instant = time.toJSDate();
  } else if (typeof tzid === 'string' && !isTimeZone(tzid)) {
    problem(name, `TZID ${tzid} is neither a VTIMEZONE of the feed nor an IANA time zone`);
  } else {
    const wall = time.isDate ? `${time.toString()}T00:00:00` : time.toString();
    instant = fromZonedTime(wall, typeof tzid === 'string' ? tzid : workspaceZone);
  }
  if (!instant) return undefined;
  const year = instant.getUTCFullYear();
  if (Number.isNaN(year) || year < EARLIEST_YEAR || year > LATEST_YEAR) {
    problem(name, `the year must be from ${EARLIEST_YEAR} to ${LATEST_YEAR}`);
    return undefined;
  }
  return instant;
}
