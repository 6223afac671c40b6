import type { FieldError } from '../../http/app-error';
import {
  RecurrenceBudgetExceeded,
  recurrenceProblems,
  recurrenceStarts,
  rulePeriod,
} from './recurrence-rule';

/** How soon after its start a rule must first occur (BYMONTH=2;BYMONTHDAY=30 never does). */
const FIRST_START_WITHIN_YEARS = 10;

/**
 * Whether a rule occurs is found by walking it from its start. rrule stops a walk only at a
 * start, so one that never comes walks on toward the year 9999: a probe walks the periods of
 * the years the rule must occur within and no more (thirteen of a yearly rule, 3,655 days of a
 * daily one), and past those it has its answer.
 */
type OccurrenceProbe = { rule: string; start: Date; end: Date; periods: number };

type CalendarPaths = { start?: string; end?: string; rule?: string };

/** What checking an event's window and rule finds before walking the rule. */
type CalendarCheck = {
  problems: FieldError[];
  /** The walk that tells whether the rule occurs, when its parts are valid. */
  probe?: OccurrenceProbe;
  /** The problem to add when it does not. */
  neverOccurs: FieldError;
};

/**
 * What an event's window and recurrence must be: an end not before the start, a rule whose
 * every part is valid (each problem naming its part) and that occurs within ten years of the
 * start. The last takes a walk (`probe`), left to the caller: on the request thread it may
 * move to a compute thread (see `events.service`).
 */
export function checkCalendar(
  startsAt: Date,
  endsAt: Date,
  rrule: string | null,
  paths: CalendarPaths = {},
): CalendarCheck {
  const problems: FieldError[] = [];
  if (endsAt < startsAt) {
    problems.push({
      location: 'body',
      path: paths.end ?? 'ends_at',
      message: `must not be before ${paths.start ?? 'starts_at'}`,
    });
  }
  const neverOccurs: FieldError = {
    location: 'body',
    path: paths.rule ?? 'rrule',
    message: `never occurs (no date in the ${FIRST_START_WITHIN_YEARS} years after the start matches every part)`,
  };
  if (!rrule) return { problems, neverOccurs };
  const ruleProblems = recurrenceProblems(rrule, paths.rule);
  return {
    problems: [...problems, ...ruleProblems],
    probe: ruleProblems.length === 0 ? occurrenceProbe(rrule, startsAt) : undefined,
    neverOccurs,
  };
}

/** Every problem of an event's window and rule, the rule walked here (on a compute thread). */
export function calendarProblems(
  startsAt: Date,
  endsAt: Date,
  rrule: string | null,
  paths: CalendarPaths = {},
): FieldError[] {
  const check = checkCalendar(startsAt, endsAt, rrule, paths);
  const never = check.probe && walkProbe(check.probe).occurs === false;
  return never ? [...check.problems, check.neverOccurs] : check.problems;
}

const DAY_MS = 86_400_000;
// The shortest month and year: never fewer periods than the years hold.
const SHORTEST_PERIOD_DAYS: Record<string, number> = {
  DAILY: 1,
  WEEKLY: 7,
  MONTHLY: 28,
  YEARLY: 365,
};

export function occurrenceProbe(rule: string, start: Date): OccurrenceProbe {
  const end = new Date(start);
  end.setUTCFullYear(end.getUTCFullYear() + FIRST_START_WITHIN_YEARS);
  const { freq, interval } = rulePeriod(rule);
  const periodMs = (SHORTEST_PERIOD_DAYS[freq] ?? 1) * interval * DAY_MS;
  // The period that holds `end`, and one more for the step past it.
  const periods = Math.ceil((end.getTime() - start.getTime()) / periodMs) + 2;
  return { rule, start, end, periods };
}

/**
 * Walks a probe's rule for its periods, or fewer when `limit` is lower: whether it has a start
 * by the probe's end (undefined when the limit ran out first), and the periods walked.
 */
export function walkProbe(
  probe: OccurrenceProbe,
  limit = probe.periods,
): { occurs: boolean | undefined; steps: number } {
  const budget = Math.min(limit, probe.periods);
  try {
    // Whether it occurs at all hardly depends on the zone, and an ICS feed's events are
    // checked here too: UTC, as before zones were kept.
    const { starts, steps } = recurrenceStarts(probe.rule, probe.start, probe.start, probe.end, {
      budget,
      max: 1,
      timeZone: 'UTC',
      oneOff: true,
    });
    return { occurs: starts.length > 0, steps };
  } catch (error) {
    if (!(error instanceof RecurrenceBudgetExceeded)) throw error;
    // Every period up to the end walked without a start: there is none.
    return { occurs: budget >= probe.periods ? false : undefined, steps: budget };
  }
}
