import { formatInTimeZone, fromZonedTime } from 'date-fns-tz';
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

function intoWindow(due: Date, window: { from: string; to: string }, timeZone: string): Date {
  const localTime = formatInTimeZone(due, timeZone, 'HH:mm');
  if (localTime >= window.from && localTime < window.to) return due;
  const day = formatInTimeZone(due, timeZone, 'yyyy-MM-dd');
  if (localTime < window.from) return atLocalTime(day, window.from, timeZone);
  // Past today's window: the next day's opening. Noon keeps DST days from skipping a date.
  const nextDay = formatInTimeZone(
    new Date(atLocalTime(day, '12:00', timeZone).getTime() + DAY_MS),
    timeZone,
    'yyyy-MM-dd',
  );
  return atLocalTime(nextDay, window.from, timeZone);
}

const atLocalTime = (day: string, time: string, timeZone: string) =>
  fromZonedTime(`${day}T${time}:00`, timeZone);
