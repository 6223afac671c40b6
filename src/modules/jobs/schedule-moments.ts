import { Cron } from 'croner';
import type { Config } from '../../config';
import type { Job } from './job';

export const minuteOf = (time: Date) => new Date(Math.floor(time.getTime() / 60_000) * 60_000);

const EVERY_MINUTE = '* * * * *';

/**
 * The latest minute at or before `notAfter` that a five-field cron schedule names, read in
 * `timeZone` (UTC unless given), or undefined when it names none. Read with croner, which the
 * Worker bundle can carry (node-cron imports child_process).
 */
export function latestMoment(schedule: string, notAfter: Date, timeZone = 'UTC'): Date | undefined {
  const fields = schedule.trim().split(/\s+/);
  // node-cron requires both to match, classic cron (and croner) either: a schedule must not
  // depend on which.
  if (fields[2] !== '*' && fields[4] !== '*') {
    throw new Error(`'${schedule}' restricts both the day of the month and the weekday`);
  }
  const cron = new Cron(schedule, { timezone: timeZone, paused: true });
  const [latest] = cron.previousRuns(1, new Date(minuteOf(notAfter).getTime() + 1));
  return latest ?? undefined;
}

/** The time zone a job's schedule is read in. */
export const scheduleZone = (job: Job, config: Pick<Config, 'workspaceTimeZone'>): string =>
  job.inWorkspaceZone ? config.workspaceTimeZone : 'UTC';

/**
 * The UTC cron that fires a job (node-cron's task, a Workers Cron Trigger): its schedule, or,
 * for one read in the workspace's zone, the minute trigger, since Cron Triggers are UTC only
 * and a local Monday morning falls on another UTC day or hour in each zone.
 */
export const triggerOf = (job: Job): string => (job.inWorkspaceZone ? EVERY_MINUTE : job.schedule);

/** Whether its trigger firing at `now` is a moment the job's own schedule names. */
export const dueAt = (job: Job, config: Pick<Config, 'workspaceTimeZone'>, now: Date): boolean =>
  !job.inWorkspaceZone ||
  latestMoment(job.schedule, now, scheduleZone(job, config))?.getTime() === minuteOf(now).getTime();
