import ICAL from 'ical.js';
import { AppError, type FieldError } from '../../http/app-error';
import { unsafeTextProblem } from '../../http/safe-text';
import { showsSomething } from '../../http/text-input';
import { EARLIEST_YEAR, LATEST_YEAR } from '../../http/time-input';
import { cutToLength, displayLine } from '../../lib/display-line';
import { calendarProblems } from './calendar-check';
import { EventInputSchema } from './event-schemas';
import {
  feedZoneReader,
  ianaZoneOf,
  MAX_FEED_ZONE_CHANGES,
  type ZoneReader,
  zoneChangesIn,
} from './ics-time-zones';
import { MAX_EXCEPTIONS } from './recurrence-exceptions';

/** VEVENTs one feed may hold: a feed is imported whole, in one request. */
export const MAX_FEED_EVENTS = 5_000;
/** VEVENTs with an RRULE one feed may hold: checking that a rule occurs takes milliseconds. */
export const MAX_FEED_RULES = 200;
/**
 * EXDATE and RDATE values one feed may hold: each is read, and stored, one by one (an event
 * itself may have at most MAX_EXCEPTIONS of each).
 */
export const MAX_FEED_EXCEPTION_DATES = 20_000;
/** Longer UIDs are not identifiers but payloads (CalDAV servers store 255 characters). */
export const MAX_UID_LENGTH = 255;
/** How much of a UID names its VEVENT in an answer. */
const UID_SHOWN = 60;

const TITLE_MAX = EventInputSchema.shape.title.maxLength ?? Number.POSITIVE_INFINITY;
const DAY_MS = 24 * 60 * 60 * 1000;

/** An event a feed describes, as stored (its id is given when it is stored). */
export type IcsEventRow = {
  title: string;
  starts_at: string;
  ends_at: string;
  rrule: string | null;
  /** DTSTART's TZID when it is an IANA name: the zone the event's recurrences keep. */
  time_zone: string | null;
  /** EXDATE's values: instants, or days for DATE values (see `recurrenceSet`). */
  excluded_starts: string[];
  /** RDATE's values, as instants. */
  extra_starts: string[];
  origin_id: string;
};

export type IcsFeed = { rows: IcsEventRow[]; skipped: FieldError[] };

/**
 * The events of an iCalendar feed (RFC 5545), one per VEVENT, and the VEVENTs skipped with
 * why. Pure, so it runs on a compute thread: parsing a few megabytes and checking hundreds of
 * rules is seconds of work. A feed past a limit is refused (413) before its VEVENTs are read;
 * one with an invalid VEVENT is refused whole with each problem named (422).
 */
export function readIcsFeed(input: { text: string; workspaceZone: string }): IcsFeed {
  const calendar = parseCalendar(input.text);
  const vevents = calendar.getAllSubcomponents('vevent');
  refuseOverLimits(
    vevents.length,
    vevents.filter((vevent) => vevent.hasProperty('rrule')).length,
    zoneChangesIn(calendar),
    vevents.reduce((sum, vevent) => sum + exceptionDatesIn(vevent), 0),
  );
  const zones = feedZoneReader(calendar);
  const skipped: FieldError[] = [];
  const invalid: FieldError[] = [];
  const rows: IcsEventRow[] = [];
  const firstWithUid = new Map<string, string>();
  vevents.forEach((vevent, index) => {
    const uid = decoded(() => vevent.getFirstPropertyValue('uid'));
    const shown = typeof uid === 'string' ? shortened(uid) : 'no UID';
    const name = `VEVENT ${index + 1} (${shown})`;
    const unreadable: FieldError[] = [
      { location: 'body', path: name, message: 'has a property that cannot be read' },
    ];
    // One VEVENT per UID, apart from changed occurrences (RFC 5545 3.8.4.7): which of two
    // copies is meant would be a guess.
    if (typeof uid === 'string' && !vevent.hasProperty('recurrence-id')) {
      const first = firstWithUid.get(uid);
      if (first !== undefined) {
        invalid.push({
          location: 'body',
          path: `${name}.UID`,
          message: `is the UID of ${first} too`,
        });
        return;
      }
      firstWithUid.set(uid, `VEVENT ${index + 1}`);
    }
    const row = decoded(() => toEventRow(vevent, zones, input.workspaceZone, name)) ?? unreadable;
    if (typeof row === 'string') skipped.push({ location: 'body', path: name, message: row });
    else if (Array.isArray(row)) invalid.push(...row);
    else rows.push(row);
  });
  if (invalid.length > 0) {
    const problems = `${invalid.length} problem${invalid.length === 1 ? '' : 's'}`;
    throw new AppError(
      'invalid_calendar',
      `${problems} in the calendar; nothing was imported.`,
      invalid,
    );
  }
  return { rows, skipped };
}

/**
 * VEVENTs in a feed's text, counted without parsing it, so that a feed far past the limit
 * costs no more than a scan (a folded BEGIN line escapes the count, not the limit).
 */
export function countVevents(text: string): number {
  return text.replace(/\r?\n[ \t]/g, '').match(/^BEGIN:VEVENT\r?$/gim)?.length ?? 0;
}

export function refuseOverLimits(
  events: number,
  rules = 0,
  zoneChanges = 0,
  exceptionDates = 0,
): void {
  const over = (message: string) =>
    new AppError('payload_too_large', `The feed is too large to import at once; ${message}.`, [
      { location: 'body', path: 'body', message },
    ]);
  if (events > MAX_FEED_EVENTS) {
    throw over(`it has ${events} VEVENTs, and a feed may have at most ${MAX_FEED_EVENTS}`);
  }
  if (rules > MAX_FEED_RULES) {
    throw over(
      `it has ${rules} VEVENTs with an RRULE, and a feed may have at most ${MAX_FEED_RULES}`,
    );
  }
  if (zoneChanges > MAX_FEED_ZONE_CHANGES) {
    throw over(
      `its VTIMEZONEs have ${zoneChanges} STANDARD and DAYLIGHT parts, and a feed may have at ` +
        `most ${MAX_FEED_ZONE_CHANGES}`,
    );
  }
  if (exceptionDates > MAX_FEED_EXCEPTION_DATES) {
    throw over(
      `its VEVENTs have ${exceptionDates} EXDATE and RDATE values, and a feed may have at ` +
        `most ${MAX_FEED_EXCEPTION_DATES}`,
    );
  }
}

const EXCEPTION_PROPERTIES = ['exdate', 'rdate'] as const;

/** EXDATE and RDATE values of a VEVENT, counted as parsed (one property may list many). */
function exceptionDatesIn(vevent: ICAL.Component): number {
  let count = 0;
  for (const name of EXCEPTION_PROPERTIES) {
    for (const property of vevent.getAllProperties(name)) count += property.jCal.length - 3;
  }
  return count;
}

const shortened = (uid: string) => (uid.length > UID_SHOWN ? `${uid.slice(0, UID_SHOWN)}…` : uid);

/**
 * The event a VEVENT describes; why it is skipped (a string); or what is wrong with it (each
 * problem naming the property), which refuses the whole feed.
 */
function toEventRow(
  vevent: ICAL.Component,
  zones: ZoneReader,
  workspaceZone: string,
  name: string,
): IcsEventRow | string | FieldError[] {
  // Read property by property: ical.js's ICAL.Event looks through every other VEVENT of the
  // feed for its changed occurrences, which made a feed's cost grow with its square.
  const uid = vevent.getFirstPropertyValue('uid');
  if (typeof uid !== 'string' || uid === '' || !vevent.hasProperty('dtstart')) {
    return 'has no UID or DTSTART';
  }
  if (vevent.hasProperty('recurrence-id')) return 'changes one occurrence (RECURRENCE-ID)';
  if (String(vevent.getFirstPropertyValue('status') ?? '').toUpperCase() === 'CANCELLED') {
    return 'is cancelled';
  }
  const rule = vevent.getFirstPropertyValue('rrule');
  const rrule = rule ? String(rule) : null;
  const exceptions = EXCEPTION_PROPERTIES.flatMap((p) => vevent.getAllProperties(p));
  // An event's starts are its rule's: dates alone, or a change to the one start, are not kept.
  if (!rrule && exceptions.length > 0) return 'has EXDATE or RDATE without an RRULE';
  if (exceptions.some((property) => property.type === 'period')) {
    return 'has RDATE periods (VALUE=PERIOD), which are not supported';
  }
  const problems: FieldError[] = [];
  const problem = (property: string, message: string) =>
    problems.push({ location: 'body', path: `${name}.${property}`, message });
  if (uid.length > MAX_UID_LENGTH) problem('UID', `must be at most ${MAX_UID_LENGTH} characters`);
  const start = instantOf(vevent, 'dtstart', zones, workspaceZone, problem);
  const startsAt = start?.instant;
  // Without DTEND or DURATION an all-day event lasts its day, a timed one is an instant
  // (RFC 5545 3.6.1).
  const endsAt = vevent.hasProperty('dtend')
    ? instantOf(vevent, 'dtend', zones, workspaceZone, problem)?.instant
    : startsAt &&
      (vevent.hasProperty('duration')
        ? durationEnd(startsAt, vevent, problem)
        : new Date(startsAt.getTime() + (start.isDate ? DAY_MS : 0)));
  const ruleShape = EventInputSchema.shape.rrule.safeParse(rrule);
  for (const issue of ruleShape.error?.issues ?? []) problem('RRULE', issue.message);
  if (startsAt && endsAt && problems.length === 0) {
    const calendar = calendarProblems(startsAt, endsAt, rrule, {
      start: 'DTSTART',
      end: 'DTEND',
      rule: `${name}.RRULE`,
    });
    for (const found of calendar) {
      problems.push(found.path === 'DTEND' ? { ...found, path: `${name}.DTEND` } : found);
    }
  }
  const dates = start && exceptionStarts(vevent, start.isDate, zones, workspaceZone, problem);
  if (typeof dates === 'string') return dates;
  if (problems.length > 0 || !startsAt || !endsAt || !dates) return problems;
  return {
    title: titleOf(String(vevent.getFirstPropertyValue('summary') ?? '')),
    starts_at: startsAt.toISOString(),
    ends_at: endsAt.toISOString(),
    rrule,
    // A single event written in UTC needs no zone; a rule written in UTC keeps UTC's clock.
    time_zone: start.zone === 'UTC' && !rrule ? null : start.zone,
    ...dates,
    origin_id: uid,
  };
}

/**
 * A SUMMARY as an event title. It is text another system wrote (Google Calendar keeps a
 * title's line breaks), so it is taken on one line, as ticket reasons are, rather than
 * refused: breaks become spaces and bidirectional overrides go (see `displayLine`). A long one
 * is cut to a title's length, whole characters kept. One that shows nothing is "Untitled
 * event", as a missing one is: the JSON API would refuse it when the event is saved back.
 */
function titleOf(summary: string): string {
  const title = cutToLength(displayLine(summary), TITLE_MAX);
  return showsSomething.check(title) ? title : 'Untitled event';
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
  vevent: ICAL.Component,
  problem: (property: string, message: string) => void,
): Date | undefined {
  const duration = decoded(() => vevent.getFirstPropertyValue('duration'));
  const seconds = duration instanceof ICAL.Duration ? duration.toSeconds() : undefined;
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
 * A VEVENT's EXDATE values as excluded starts (a DATE value as its day, which the expansion
 * reads on the event's wall clock) and its RDATE values as extra starts, each read as DTSTART
 * is; why it is skipped (an RDATE of dates on a timed event has no time of day); or undefined,
 * with each problem reported (a value that is not a date, more than an event may have).
 */
function exceptionStarts(
  vevent: ICAL.Component,
  allDay: boolean,
  zones: ZoneReader,
  workspaceZone: string,
  problem: (property: string, message: string) => void,
): { excluded_starts: string[]; extra_starts: string[] } | string | undefined {
  const read = (name: 'exdate' | 'rdate') => {
    const property = name.toUpperCase();
    const starts: string[] = [];
    let valid = true;
    for (const found of vevent.getAllProperties(name)) {
      if (name === 'rdate' && found.type === 'date' && !allDay) {
        return 'has RDATE dates (VALUE=DATE) on a timed event, which give no time of day';
      }
      const tzid = found.getParameter('tzid');
      for (const raw of found.jCal.slice(3)) {
        const time = timeOf(raw, tzid, zones, workspaceZone);
        if (typeof time === 'string') {
          problem(property, time);
          valid = false;
        } else if (name === 'exdate' && time.isDate) starts.push(time.wall.slice(0, 10));
        else starts.push(time.instant.toISOString());
      }
    }
    const unique = [...new Set(starts)].sort();
    if (unique.length > MAX_EXCEPTIONS) {
      problem(
        property,
        `has ${unique.length} dates, and an event may have at most ${MAX_EXCEPTIONS}`,
      );
      valid = false;
    }
    return valid ? unique : undefined;
  };
  const excluded = read('exdate');
  const extra = read('rdate');
  if (typeof excluded === 'string') return excluded;
  if (typeof extra === 'string') return extra;
  return excluded && extra ? { excluded_starts: excluded, extra_starts: extra } : undefined;
}

/**
 * The instant of an iCalendar property's first value (see `timeOf`). `zone` is what the
 * date-time's clock is: `UTC` for a UTC time, the IANA zone its TZID names (see `ianaZoneOf`);
 * null for floating times, dates and TZIDs only the feed defines, read once and not kept.
 */
function instantOf(
  vevent: ICAL.Component,
  property: string,
  zones: ZoneReader,
  workspaceZone: string,
  problem: (property: string, message: string) => void,
): { instant: Date; isDate: boolean; zone: string | null } | undefined {
  const found = vevent.getFirstProperty(property);
  const tzid = found?.getParameter('tzid');
  const time = timeOf(found?.jCal[3], tzid, zones, workspaceZone);
  if (typeof time === 'string') {
    problem(property.toUpperCase(), time);
    return undefined;
  }
  if (time.isDate) return { instant: time.instant, isDate: true, zone: null };
  // A UTC date-time repeats at the same UTC time (RFC 5545 3.3.10), not on the workspace's clock.
  if (!time.local) return { instant: time.instant, isDate: false, zone: 'UTC' };
  const zone = typeof tzid === 'string' ? ianaZoneOf(tzid) : undefined;
  return { instant: time.instant, isDate: false, zone: zone ?? null };
}

/**
 * The instant of an iCalendar time as written (ical.js would look its TZID up in a
 * process-wide registry): UTC; in its TZID (see `feedZoneReader`); otherwise (floating times,
 * all-day dates) on the workspace's clock. A TZID the feed cannot resolve, a time that is not
 * one, or a year outside 1900–2199 is a problem (what is returned).
 */
function timeOf(
  raw: unknown,
  tzid: unknown,
  zones: ZoneReader,
  workspaceZone: string,
): { instant: Date; isDate: boolean; wall: string; local: boolean } | string {
  const time = typeof raw === 'string' ? decoded(() => ICAL.Time.fromString(raw, null)) : undefined;
  const wall = time?.toString() ?? '';
  if (!time || !/^\d{4}-\d{2}-\d{2}/.test(wall)) return 'is not a date or date-time';
  const local = time.zone !== ICAL.Timezone.utcTimezone;
  let instant: Date | string = time.toJSDate();
  if (local) {
    const localWall = time.isDate ? `${wall}T00:00:00` : wall;
    instant = zones(localWall, typeof tzid === 'string' ? tzid : workspaceZone);
    if (typeof instant === 'string') return instant;
  }
  const year = instant.getUTCFullYear();
  if (Number.isNaN(year) || year < EARLIEST_YEAR || year > LATEST_YEAR) {
    return `the year must be from ${EARLIEST_YEAR} to ${LATEST_YEAR}`;
  }
  return { instant, isDate: time.isDate, wall, local };
}
