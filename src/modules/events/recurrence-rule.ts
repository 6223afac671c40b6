import * as rruleModule from 'rrule';
import { AppError, type FieldError } from '../../http/app-error';
import { commonJsExports } from '../../lib/common-js-exports';
import { zoneClock } from '../../lib/time-zone';

// rrule's CommonJS build (what Node loads) puts everything on `default`; its ESM build (what
// bundlers such as wrangler pick) has named exports only.
const { RRule } = commonJsExports(rruleModule, 'RRule');

/**
 * RFC 5545 recurrence rules, checked part by part before they are stored, and expanded with a
 * hard cap on the work: rrule walks from the event's start one period at a time, and a rule
 * that can never match (BYMONTH=13, Feb 30) walks to the year 9999 without yielding, which
 * is seconds of blocked event loop. A rule recurs at most once a day: BYHOUR, BYMINUTE and
 * BYSECOND take one value each, or a daily rule would be a per-second one (24 x 60 x 60
 * times a day), and an expansion stops at the occurrences its caller can use.
 */

const WEEKDAY = /^([+-]?\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)$/;
const FREQUENCIES = ['DAILY', 'WEEKLY', 'MONTHLY', 'YEARLY'];
export const MAX_COUNT = 10_000;
export const MAX_INTERVAL = 1_000;

/**
 * A stored rule's frequency and interval, read from its text without parsing the rest: what
 * sizes the periods a walk over a range takes (DAILY, the shortest, when the rule has none).
 */
export function rulePeriod(rrule: string | null | undefined): { freq: string; interval: number } {
  const freq = /FREQ=(\w+)/i.exec(rrule ?? '')?.[1]?.toUpperCase() ?? 'DAILY';
  const interval = Number(/INTERVAL=(\d+)/i.exec(rrule ?? '')?.[1] ?? 1) || 1;
  return { freq, interval };
}

const LONGEST_PERIOD_DAYS: Record<string, number> = {
  DAILY: 1,
  WEEKLY: 7,
  MONTHLY: 31,
  YEARLY: 366,
};

/** The days of a rule's longest period (a 31-day month, a leap year) times its interval. */
export function longestPeriodDays(rrule: string | null | undefined): number {
  const { freq, interval } = rulePeriod(rrule);
  return (LONGEST_PERIOD_DAYS[freq] ?? 1) * interval;
}

type PartCheck = (value: string) => string | undefined;

const integerList =
  (min: number, max: number, options: { nonZero?: boolean } = {}): PartCheck =>
  (value) => {
    for (const item of value.split(',')) {
      if (!/^[+-]?\d{1,4}$/.test(item)) return `"${item}" is not an integer`;
      const n = Number(item);
      if (n < min || n > max || (options.nonZero && n === 0)) {
        return `${item} is outside ${min}..${max}${options.nonZero ? ' (not 0)' : ''}`;
      }
    }
    return undefined;
  };

const oneOf =
  (check: PartCheck): PartCheck =>
  (value) =>
    value.includes(',')
      ? 'takes one value: an event recurs at most once a day (add an event per time of day)'
      : check(value);

const positive =
  (max: number): PartCheck =>
  (value) =>
    /^\d{1,6}$/.test(value) && Number(value) >= 1 && Number(value) <= max
      ? undefined
      : `must be a whole number from 1 to ${max}`;

const PARTS: Record<string, PartCheck> = {
  FREQ: (v) =>
    FREQUENCIES.includes(v) ? undefined : `must be ${FREQUENCIES.join(', ')} (no finer)`,
  INTERVAL: positive(MAX_INTERVAL),
  COUNT: positive(MAX_COUNT),
  UNTIL: (v) =>
    /^\d{8}(T\d{6}Z?)?$/.test(v) && untilDate(v) !== undefined
      ? undefined
      : 'must be a date (YYYYMMDD) or UTC time (YYYYMMDDTHHMMSSZ)',
  BYMONTH: integerList(1, 12),
  BYMONTHDAY: integerList(-31, 31, { nonZero: true }),
  BYYEARDAY: integerList(-366, 366, { nonZero: true }),
  BYWEEKNO: integerList(-53, 53, { nonZero: true }),
  BYSETPOS: integerList(-366, 366, { nonZero: true }),
  BYHOUR: oneOf(integerList(0, 23)),
  BYMINUTE: oneOf(integerList(0, 59)),
  BYSECOND: oneOf(integerList(0, 59)),
  BYDAY: (v) => {
    for (const item of v.split(',')) {
      const match = WEEKDAY.exec(item);
      const n = match?.[1] === undefined ? undefined : Number(match[1]);
      if (!match || (n !== undefined && (n === 0 || Math.abs(n) > 53))) {
        return `"${item}" is not a weekday such as MO, 1MO or -1FR`;
      }
    }
    return undefined;
  },
  WKST: (v) => (WEEKDAY.test(v) && v.length === 2 ? undefined : 'must be a weekday such as MO'),
};

function untilDate(value: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2}))?/.exec(value);
  if (!m) return undefined;
  const [y, mo, d, h = 0, mi = 0, s = 0] = m.slice(1).map((part) => Number(part ?? 0));
  const date = new Date(Date.UTC(y ?? 0, (mo ?? 0) - 1, d, h, mi, s));
  return date.getUTCDate() === d && date.getUTCMonth() === (mo ?? 0) - 1 ? date : undefined;
}

/** Every problem with a rule, each naming its part (`rrule.BYMONTH`); empty when usable. */
export function recurrenceProblems(rule: string, path = 'rrule'): FieldError[] {
  const problem = (part: string, message: string): FieldError => ({
    location: 'body',
    path: part ? `${path}.${part}` : path,
    message,
  });
  if (/DTSTART|RRULE:/i.test(rule)) {
    return [problem('', 'give only the rule parts, e.g. FREQ=MONTHLY;BYMONTHDAY=1')];
  }
  const errors: FieldError[] = [];
  const seen = new Set<string>();
  for (const piece of rule.toUpperCase().split(';')) {
    const [name = '', value, ...extra] = piece.split('=');
    const check = PARTS[name];
    if (!check || value === undefined || value === '' || extra.length > 0) {
      errors.push(problem(name || piece, check ? 'needs one value' : 'is not an RRULE part'));
    } else if (seen.has(name)) errors.push(problem(name, 'is given twice'));
    else {
      const message = check(value);
      if (message) errors.push(problem(name, message));
    }
    seen.add(name);
  }
  if (!seen.has('FREQ')) errors.push(problem('FREQ', 'is required'));
  if (seen.has('COUNT') && seen.has('UNTIL')) {
    errors.push(problem('UNTIL', 'cannot be combined with COUNT'));
  }
  return errors;
}

/**
 * Expanding took more periods walked (days for a daily rule, and so on) than allowed: a 422
 * wherever it surfaces, so a caller asks for less instead of stalling the instance.
 */
export class RecurrenceBudgetExceeded extends AppError {
  constructor(readonly budget: number) {
    super(
      'range_too_large',
      `Expanding the calendar over that range takes more than ${budget} steps; ask for a ` +
        'shorter range or fewer events.',
    );
  }
}

/** How far one expansion may go, and in which zone's local time it runs. */
export type WalkLimits = {
  /** Periods it may walk (past it, `RecurrenceBudgetExceeded`). */
  budget: number;
  /** Starts it keeps: the walk stops at the last one, whatever is left of the range. */
  max: number;
  /** The zone whose wall clock the rule follows (RFC 5545: across daylight-saving changes). */
  timeZone: string;
  /**
   * Nobody will ask for this walk again (a stretch of a series being moved, whether a new
   * rule occurs): it is not kept, so it does not push out walks that are asked for again.
   */
  oneOff?: boolean;
};

/**
 * The starts of a checked rule from `dtstart` in [after, before], earliest first: at most
 * `max` of them, walking at most `budget` periods. rrule reads the rule's `interval` once
 * per period walked; counting those reads is the one way to stop a walk that yields nothing
 * (a test holds it to that). A rule without COUNT starts its walk a whole number of periods
 * after `dtstart`, just before `after`, so the walk grows with the range asked for, not with
 * the event's age.
 */
export function recurrenceStarts(
  rule: string,
  dtstart: Date,
  after: Date,
  before: Date,
  limits: WalkLimits,
): { starts: Date[]; steps: number } {
  const { budget, max, timeZone } = limits;
  const key = `${rule}|${timeZone}|${max}|${dtstart.getTime()}|${after.getTime()}|${before.getTime()}`;
  const walk = walks.get(key) ?? walkRule(rule, dtstart, after, before, limits);
  // A walk kept from a call with more budget fails the same way it would have walked.
  if (walk.reads > 2 * budget + 1) throw new RecurrenceBudgetExceeded(budget);
  if (limits.oneOff) return startsOf(walk);
  walks.delete(key);
  walks.set(key, walk);
  const oldest = walks.keys().next();
  if (walks.size > KEPT_WALKS && !oldest.done) walks.delete(oldest.value);
  return startsOf(walk);
}

type Walk = { starts: number[]; reads: number };

const startsOf = (walk: Walk) => ({
  starts: walk.starts.map((ms) => new Date(ms)),
  steps: Math.floor(walk.reads / 2),
});

// Detection, patterns and the console expand the same events over the same ranges again and
// again (a recompute walks ten years of every recurring event): the last walks are kept,
// least recently used out first. A walk depends only on its key, so a kept one is exact.
const KEPT_WALKS = 512;
const walks = new Map<string, Walk>();

/**
 * rrule expands "floating" times (a Date's UTC fields read as the zone's wall clock), so the
 * rule's weekdays, month days and hours are the zone's; each start is then read back as an
 * instant. In a zone that is always UTC the two are the same and nothing is converted.
 */
function walkRule(rule: string, dtstart: Date, after: Date, before: Date, limits: WalkLimits) {
  const clock = zoneClock(limits.timeZone);
  const local = (date: Date) => (clock ? new Date(clock.toWallClock(date.getTime())) : date);
  // Parts and values are case-insensitive (RFC 5545), as checked; rrule reads values upper case.
  const parts = RRule.parseString(rule.toUpperCase());
  // An UNTIL in UTC is an instant; the walk compares it with wall-clock times.
  if (parts.until && /UNTIL=\d{8}T\d{6}Z/i.test(rule)) parts.until = local(parts.until);
  const localStart = local(dtstart);
  // Offsets shift the local range against [after, before]: widened by two days, every start
  // is checked against the range itself.
  const [localAfter, localBefore] = clock
    ? [
        new Date(local(after).getTime() - 2 * DAY_MS),
        new Date(local(before).getTime() + 2 * DAY_MS),
      ]
    : [after, before];
  const start = /COUNT=/i.test(rule)
    ? localStart
    : laterStart(
        { freq: parts.freq ?? RRule.YEARLY, interval: parts.interval ?? 1 },
        localStart,
        localAfter,
      );
  // Without a cache of its own: the walk is read once, through the callback below.
  const parsed = new RRule({ ...parts, dtstart: start }, true);
  const options = parsed.options;
  const interval = options.interval;
  let reads = 0;
  Object.defineProperty(options, 'interval', {
    get() {
      // Two reads per period (the loop's check and the step forward), one more at the start.
      if (++reads > 2 * limits.budget + 1) throw new RecurrenceBudgetExceeded(limits.budget);
      return interval;
    },
  });
  const starts: number[] = [];
  const [from, to] = [after.getTime(), before.getTime()];
  // Lazily: returning false ends the walk, so no more than `max` starts are ever made.
  parsed.between(localAfter, localBefore, true, (date) => {
    const instant = clock ? clock.toInstant(date.getTime()) : date.getTime();
    if (instant < from || instant > to || instant === starts.at(-1)) return true;
    starts.push(instant);
    return starts.length < limits.max;
  });
  return { starts, reads };
}

const DAY_MS = 86_400_000;

/**
 * The latest start a whole number of periods after `dtstart` and at least one period before
 * `after`, on the same time of day, weekday (weekly), day of month (monthly) and date
 * (yearly), so the rule yields the same dates from there on; `dtstart` when there is none.
 */
function laterStart(options: { freq: number; interval: number }, dtstart: Date, after: Date): Date {
  const { freq, interval } = options;
  const gap = after.getTime() - dtstart.getTime();
  // rrule's Frequency: YEARLY 0, MONTHLY 1, WEEKLY 2, DAILY 3.
  if (freq === 3 || freq === 2) {
    const periodMs = interval * (freq === 3 ? 1 : 7) * DAY_MS;
    const periods = Math.floor(gap / periodMs) - 1;
    return periods > 0 ? new Date(dtstart.getTime() + periods * periodMs) : dtstart;
  }
  const monthsPerPeriod = interval * (freq === 0 ? 12 : 1);
  const monthsApart =
    (after.getUTCFullYear() - dtstart.getUTCFullYear()) * 12 +
    after.getUTCMonth() -
    dtstart.getUTCMonth();
  // A 29th-31st needs a month (or a leap year) that has it: try a few periods back.
  for (
    let periods = Math.floor(monthsApart / monthsPerPeriod) - 1, tries = 0;
    tries < 12;
    tries++
  ) {
    if (periods <= 0) return dtstart;
    const candidate = new Date(dtstart);
    candidate.setUTCDate(1);
    candidate.setUTCMonth(candidate.getUTCMonth() + periods * monthsPerPeriod);
    candidate.setUTCDate(dtstart.getUTCDate());
    if (candidate.getUTCDate() === dtstart.getUTCDate()) return candidate;
    periods--;
  }
  return dtstart;
}
