import { fromZonedTime } from 'date-fns-tz';
import { sql } from 'drizzle-orm';
import ICAL from 'ical.js';
import { v7 as uuidv7 } from 'uuid';
import { jsonParam, rowsOf } from '../../db/json-param';
import type { EventKind } from '../../db/schema';
import type { Deps } from '../../deps';
import { AppError, type FieldError } from '../../http/app-error';
import { isTimeZone } from '../../time-zone';
import { rruleProblem } from './occurrences';

export type IcsImport = { kind: EventKind; lead_days: number; lag_days: number };
export type IcsImportResult = { imported: number; updated: number; skipped: FieldError[] };

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Adds the events of an iCalendar feed (RFC 5545), one per VEVENT, keyed by its UID: importing
 * the feed again updates them instead of adding copies. A VEVENT's RRULE is kept as the
 * event's recurrence. Times with a TZID are read in that zone (from the feed's VTIMEZONE, or
 * as an IANA name), floating times and all-day dates in the workspace time zone. Cancelled
 * events, changed single occurrences (RECURRENCE-ID) and events this model cannot hold (an
 * RRULE finer than daily) are skipped and listed.
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
  const rows = new Map<string, EventRow>();
  calendar.getAllSubcomponents('vevent').forEach((vevent, index) => {
    const row = toEventRow(vevent, deps.config.workspaceTimeZone);
    if (typeof row === 'string') {
      const uid = vevent.getFirstPropertyValue('uid');
      skipped.push({ location: 'body', path: `VEVENT ${index + 1} (${uid})`, message: row });
    } else rows.set(row.origin_id, row);
  });
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

/** The event a VEVENT describes, or why it is skipped. */
function toEventRow(vevent: ICAL.Component, workspaceZone: string): EventRow | string {
  const event = new ICAL.Event(vevent);
  if (!event.uid || !event.startDate) return 'has no UID or DTSTART';
  if (event.isRecurrenceException()) return 'changes one occurrence (RECURRENCE-ID)';
  if (String(vevent.getFirstPropertyValue('status') ?? '').toUpperCase() === 'CANCELLED') {
    return 'is cancelled';
  }
  const rule = vevent.getFirstPropertyValue('rrule');
  const rrule = rule ? String(rule) : null;
  const problem = rrule ? rruleProblem(rrule) : undefined;
  if (problem) return `RRULE ${problem}`;
  const startsAt = instantOf(event.startDate, tzidOf(vevent, 'dtstart'), workspaceZone);
  // Without DTEND or DURATION an all-day event lasts its day, a timed one is an instant
  // (RFC 5545 3.6.1).
  const endsAt = vevent.hasProperty('dtend')
    ? instantOf(event.endDate, tzidOf(vevent, 'dtend'), workspaceZone)
    : vevent.hasProperty('duration')
      ? new Date(startsAt.getTime() + event.duration.toSeconds() * 1000)
      : new Date(startsAt.getTime() + (event.startDate.isDate ? DAY_MS : 0));
  return {
    id: uuidv7(),
    title: (event.summary || 'Untitled event').slice(0, 200),
    starts_at: startsAt.toISOString(),
    ends_at: new Date(Math.max(endsAt.getTime(), startsAt.getTime())).toISOString(),
    rrule,
    origin_id: event.uid,
  };
}

function parseCalendar(text: string): ICAL.Component {
  let calendar: ICAL.Component;
  try {
    calendar = new ICAL.Component(ICAL.parse(text));
  } catch (error) {
    throw notACalendar(`is not valid iCalendar: ${(error as Error).message}`);
  }
  if (calendar.name !== 'vcalendar') throw notACalendar('must be a VCALENDAR');
  return calendar;
}

const notACalendar = (message: string) =>
  new AppError('validation_failed', 'The body is not an iCalendar feed; nothing was imported.', [
    { location: 'body', path: 'body', message },
  ]);

const tzidOf = (vevent: ICAL.Component, name: string) => {
  const tzid = vevent.getFirstProperty(name)?.getParameter('tzid');
  return typeof tzid === 'string' ? tzid : undefined;
};

/**
 * The instant of an iCalendar time: UTC; in a zone the feed defined (VTIMEZONE); in its TZID
 * read as an IANA name; otherwise (floating times, all-day dates) on the workspace's clock.
 */
function instantOf(time: ICAL.Time, tzid: string | undefined, workspaceZone: string): Date {
  const zone = time.zone?.tzid;
  if (zone === 'UTC' || (zone && zone !== 'floating' && ICAL.TimezoneService.has(zone))) {
    return time.toJSDate();
  }
  const wall = time.isDate ? `${time.toString()}T00:00:00` : time.toString();
  return fromZonedTime(wall, tzid && isTimeZone(tzid) ? tzid : workspaceZone);
}
