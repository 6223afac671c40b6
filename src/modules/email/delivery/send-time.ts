import { formatInTimeZone } from 'date-fns-tz';
import type { EmailSettings } from '../../../db/schema';

const HOUR_MS = 60 * 60 * 1000;
const DAY_MS = 24 * HOUR_MS;

/**
 * The moment the campaign as a whole sends, before any recipient's local time is applied:
 * the absolute time, or the linked event's occurrence less the lead, or the campaign's start.
 */
export function referenceSendTime(
  settings: EmailSettings,
  campaignStart: Date,
  occurrenceStart: Date | null,
): Date {
  if (settings.send_at) return new Date(settings.send_at);
  if (settings.before_event && occurrenceStart) {
    const { days, hours } = settings.before_event;
    return new Date(occurrenceStart.getTime() - days * DAY_MS - hours * HOUR_MS);
  }
  return campaignStart;
}

/**
 * When one recipient's email is due: at `local_time` on the day the reference time falls on
 * in their zone, never in the past, and moved to the next opening of `send_window` when it
 * falls outside it.
 */
export function recipientSendTime(
  settings: EmailSettings,
  reference: Date,
  timeZone: string,
  now: Date,
): Date {
  let due = settings.local_time
    ? atLocalTime(
        formatInTimeZone(reference, timeZone, 'yyyy-MM-dd'),
        settings.local_time,
        timeZone,
      )
    : reference;
  if (due < now) due = now;
  return settings.send_window ? intoWindow(due, settings.send_window, timeZone) : due;
}

/**
 * `due` if its local time is inside the window, else the window's next opening at or after
 * `due`. An opening that happens twice (the hour clocks repeat when they fall back) counts
 * twice, so a send held past the first is not moved before `due`.
 */
function intoWindow(due: Date, window: { from: string; to: string }, timeZone: string): Date {
  const localTime = formatInTimeZone(due, timeZone, 'HH:mm');
  if (localTime >= window.from && localTime < window.to) return due;
  const day = formatInTimeZone(due, timeZone, 'yyyy-MM-dd');
  const today = localOccurrences(day, window.from, timeZone).find((at) => at >= due);
  if (today) return today;
  // Past today's window: the next day's opening. Noon keeps DST days from skipping a date.
  const nextDay = formatInTimeZone(
    new Date(atLocalTime(day, '12:00', timeZone).getTime() + DAY_MS),
    timeZone,
    'yyyy-MM-dd',
  );
  return atLocalTime(nextDay, window.from, timeZone);
}

/** The first moment `time` (`HH:MM`) is on the clocks of `timeZone` on `day` (see below). */
const atLocalTime = (day: string, time: string, timeZone: string): Date =>
  localOccurrences(day, time, timeZone)[0] as Date;

/**
 * The moments, earliest first, at which clocks in `timeZone` read `time` on `day`: one as a
 * rule, two when clocks fall back over it, and when they spring forward over it (a time that
 * never happens) the moment as far past the jump as `time` is past its start, read with the
 * offset before the jump (02:30 on a day 02:00 becomes 03:00 is 03:30), as RFC 5545 does.
 * (date-fns-tz's `fromZonedTime` reads the offset after the jump, which lands before it.)
 */
function localOccurrences(day: string, time: string, timeZone: string): Date[] {
  const wall = Date.parse(`${day}T${time}:00Z`);
  // Offsets change at most once within a day either side of any time in real zones.
  const offsets = [
    ...new Set([wall - DAY_MS, wall, wall + DAY_MS].map((at) => offsetAt(at, timeZone))),
  ];
  const candidates = offsets.map((offset) => wall - offset).sort((a, b) => a - b);
  const real = candidates.filter((at) => wallClock(at, timeZone) === wall);
  // In a gap the later candidate is the one read with the earlier (smaller) offset.
  return (real.length > 0 ? real : candidates.slice(-1)).map((at) => new Date(at));
}

/** What clocks in `timeZone` read at `at`, as milliseconds of a UTC date reading the same. */
const wallClock = (at: number, timeZone: string) =>
  Date.parse(`${formatInTimeZone(at, timeZone, "yyyy-MM-dd'T'HH:mm:ss")}Z`);

// Not date-fns-tz's getTimezoneOffset, which answered the wrong offset in the hour before a change.
const offsetAt = (at: number, timeZone: string) => wallClock(at, timeZone) - at;
