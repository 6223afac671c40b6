import { formatInTimeZone } from 'date-fns-tz';
import * as rruleModule from 'rrule';
import { commonJsExports } from '../lib/common-js-exports';

// rrule's CommonJS build (what Node loads) puts everything on `default`; its ESM build (what
// bundlers such as wrangler pick) has named exports only.
const { RRule } = commonJsExports(rruleModule, 'RRule');

/**
 * A recurring event's rule as ops read it, with the local time the series keeps: "every
 * month on the 1st, at 06:00 Europe/Berlin". A rule rrule cannot put in words stays as stored.
 */
export function ruleInWords(rrule: string, startsAt: string, timeZone: string): string {
  const time = `at ${formatInTimeZone(new Date(startsAt), timeZone, 'HH:mm')} ${timeZone}`;
  try {
    const rule = new RRule(RRule.parseString(rrule));
    return rule.isFullyConvertibleToText() ? `${rule.toText()}, ${time}` : `${rrule}, ${time}`;
  } catch {
    return `${rrule}, ${time}`;
  }
}
