import { Cron } from 'croner';

export const minuteOf = (time: Date) => new Date(Math.floor(time.getTime() / 60_000) * 60_000);

/**
 * The latest minute at or before `notAfter` that a five-field cron schedule (UTC) names, or
 * undefined when it names none. Read with croner, which the Worker bundle can carry (node-cron
 * imports child_process).
 */
export function latestMoment(schedule: string, notAfter: Date): Date | undefined {
  const fields = schedule.trim().split(/\s+/);
  // node-cron requires both to match, classic cron (and croner) either: a schedule must not
  // depend on which.
  if (fields[2] !== '*' && fields[4] !== '*') {
    throw new Error(`'${schedule}' restricts both the day of the month and the weekday`);
  }
  const cron = new Cron(schedule, { timezone: 'UTC', paused: true });
  const [latest] = cron.previousRuns(1, new Date(minuteOf(notAfter).getTime() + 1));
  return latest ?? undefined;
}
