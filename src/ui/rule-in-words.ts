import { formatInTimeZone } from 'date-fns-tz';
import * as rruleModule from 'rrule';
import { commonJsExports } from '../lib/common-js-exports';

// rrule's CommonJS build (what Node loads) puts everything on `default`; its ESM build (what
// bundlers such as wrangler pick) has named exports only.
const { RRule } = commonJsExports(rruleModule, 'RRule');

/**
 * The parts rrule's `toText` puts in words. Its own `isFullyConvertibleToText` passes any rule
 * that names FREQ first, and `toText` then leaves out what it cannot say: the last weekday of
 * the month (BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1) would read "every month on weekdays".
 */
const SAID = new Set([
  'FREQ',
  'INTERVAL',
  'COUNT',
  'UNTIL',
  'BYDAY',
  'BYMONTHDAY',
  'BYMONTH',
  'WKST',
]);
const SAID_OF_YEARLY = new Set(['BYWEEKNO', 'BYYEARDAY']);
/** Parts that set the time of day, said by the time this adds (each takes one value). */
const TIME_OF_DAY = new Set(['BYHOUR', 'BYMINUTE', 'BYSECOND']);

/**
 * A recurring event's rule as ops read it, with the local time the series keeps: "every
 * month on the 1st, at 06:00 Europe/Berlin". A rule rrule cannot put in words stays as stored.
 */
export function ruleInWords(rrule: string, startsAt: string, timeZone: string): string {
  // Parts and values are case-insensitive (RFC 5545); rrule reads them upper case.
  const parts = rrule
    .toUpperCase()
    .split(';')
    .map((part) => part.split('=') as [string, string?]);
  const value = (name: string) => parts.find(([part]) => part === name)?.[1];
  const start = new Date(startsAt);
  // The rule's hour and minute, where it sets them, are the ones its starts keep.
  const hour = value('BYHOUR') ?? formatInTimeZone(start, timeZone, 'HH');
  const minute = value('BYMINUTE') ?? formatInTimeZone(start, timeZone, 'mm');
  const time = `at ${hour.padStart(2, '0')}:${minute.padStart(2, '0')} ${timeZone}`;
  const dated = parts.filter(([name]) => !TIME_OF_DAY.has(name));
  const yearly = value('FREQ') === 'YEARLY';
  const sayable = dated.every(([name]) => SAID.has(name) || (yearly && SAID_OF_YEARLY.has(name)));
  if (!sayable) return `${rrule}, ${time}`;
  try {
    const rule = new RRule(RRule.parseString(dated.map((part) => part.join('=')).join(';')));
    return `${rule.toText()}, ${time}`;
  } catch {
    return `${rrule}, ${time}`;
  }
}
