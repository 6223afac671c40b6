import { fromZonedTime } from 'date-fns-tz';
import ICAL from 'ical.js';
import { findIana } from 'windows-iana';
import { LATEST_YEAR } from '../../http/time-input';
import { isTimeZone } from '../../lib/time-zone';

/** Time-zone changes (STANDARD and DAYLIGHT parts) the VTIMEZONEs of one feed may hold. */
export const MAX_FEED_ZONE_CHANGES = 100;

const EARLIEST_ZONE_YEAR = 1600;

/** The instant of a wall-clock time in a zone, or why it has none. */
export type ZoneReader = (wall: string, tzid: string) => Date | string;

/**
 * The IANA zone a TZID names: an IANA name itself, or a Windows zone name as Outlook and
 * Exchange write them ("W. Europe Standard Time" is Europe/Berlin, CLDR's zone for it);
 * undefined for any other id.
 */
export function ianaZoneOf(tzid: string): string | undefined {
  if (isTimeZone(tzid)) return tzid;
  const [zone] = findIana(tzid);
  return zone && isTimeZone(zone) ? zone : undefined;
}

/**
 * How one feed's TZIDs read: an IANA or Windows zone name by the IANA database (see
 * `ianaZoneOf`), whatever the feed says about it (a feed's copy of a zone is at best a stale
 * extract of it), so a recurring event keeps the zone its times were read in; any other id by
 * the feed's own VTIMEZONE of that id. Nothing is registered with ical.js's process-wide
 * TimezoneService, so one feed, even a refused one, cannot change how another is read.
 */
export function feedZoneReader(calendar: ICAL.Component): ZoneReader {
  const zones = new Map<string, ICAL.Timezone | string>();
  return (wall, tzid) => {
    const iana = ianaZoneOf(tzid);
    if (iana) return fromZonedTime(wall, iana);
    let zone = zones.get(tzid);
    if (zone === undefined) {
      zone = feedZone(calendar, tzid);
      zones.set(tzid, zone);
    }
    if (typeof zone === 'string') return zone;
    const time = ICAL.Time.fromDateTimeString(wall);
    time.zone = zone;
    return time.toJSDate();
  };
}

/** How many STANDARD and DAYLIGHT parts the feed's VTIMEZONEs have (what reading them costs). */
export function zoneChangesIn(calendar: ICAL.Component): number {
  return calendar
    .getAllSubcomponents('vtimezone')
    .reduce((sum, zone) => sum + zone.getAllSubcomponents().length, 0);
}

function feedZone(calendar: ICAL.Component, tzid: string): ICAL.Timezone | string {
  const component = calendar
    .getAllSubcomponents('vtimezone')
    .find((zone) => zone.getFirstPropertyValue('tzid') === tzid);
  if (!component) return `TZID ${tzid} is neither a VTIMEZONE of the feed nor an IANA time zone`;
  try {
    // ical.js walks each rule from its DTSTART to the year asked for, keeping every change:
    // zones change at most once a year in a month, and no zone history starts before 1600.
    for (const change of component.getAllSubcomponents()) {
      const rule = change.getFirstProperty('rrule')?.getFirstValue() as ICAL.Recur | undefined;
      if (!rule) continue;
      const start = change.getFirstPropertyValue('dtstart') as ICAL.Time | null;
      const months = rule.parts.BYMONTH?.length ?? 0;
      if (rule.freq !== 'YEARLY' || months > 1 || !start || start.year < EARLIEST_ZONE_YEAR) {
        return `the VTIMEZONE of TZID ${tzid} has a rule other than yearly, in one month, from ${EARLIEST_ZONE_YEAR} on`;
      }
    }
    const zone = new ICAL.Timezone({ component, tzid });
    // Walked once to the last year an event may have: ical.js walks again (and keeps both
    // walks) each time a later year is asked for.
    zone.utcOffset(ICAL.Time.fromData({ year: LATEST_YEAR, month: 12, day: 31 }));
    return zone;
  } catch {
    return `the VTIMEZONE of TZID ${tzid} cannot be read`;
  }
}
