import { inArray, max } from 'drizzle-orm';
import { jobRuns } from '../../db/schema';
import type { Deps } from '../../deps';
import type { Job } from './job';
import { runJob } from './run-job';
import { latestMoment, minuteOf, scheduleZone } from './schedule-moments';

/**
 * Runs now each `catchUpIfMissed` job whose latest scheduled moment passed with no run at or
 * after it (no process was up then: a deploy, a crash, a host restart). The run is claimed for
 * that moment, as the scheduled run would have been, so an instance that catches it up too, or
 * a scheduler that fires late for it, does not run it again; and it covers that moment's period.
 *
 * Only the latest moment is made up for: down for three weeks, a weekly job runs once, as it
 * would have on time. A job with no run recorded at all is new to this database (a fresh
 * install, or a job a release added): it waits for its schedule rather than firing at first
 * start. (Pruning keeps each job's latest run, so an outage longer than the runs are kept
 * does not make a job look new.)
 */
export async function catchUpMissedRuns(
  deps: Deps,
  jobs: readonly Job[],
  now: Date,
  stop?: AbortSignal,
): Promise<void> {
  const candidates = jobs.filter((job) => job.catchUpIfMissed);
  if (candidates.length === 0) return;
  const latestRuns = await deps.db
    .select({ job: jobRuns.job, scheduledFor: max(jobRuns.scheduledFor) })
    .from(jobRuns)
    .where(
      inArray(
        jobRuns.job,
        candidates.map((job) => job.name),
      ),
    )
    .groupBy(jobRuns.job);
  // This minute's moment is its scheduler's (or Cron Trigger's) to run, not a missed one.
  const beforeThisMinute = new Date(minuteOf(now).getTime() - 60_000);
  for (const job of candidates) {
    if (stop?.aborted) return;
    const lastRun = latestRuns.find((run) => run.job === job.name)?.scheduledFor;
    const moment = latestMoment(job.schedule, beforeThisMinute, scheduleZone(job, deps.config));
    if (!lastRun || !moment || lastRun >= moment) continue;
    const outcome = await runJob(deps, job, now, { stop, scheduledFor: moment });
    if (outcome === 'skipped') continue;
    deps.logger.warn('missed job run caught up', {
      job: job.name,
      scheduled_for: moment.toISOString(),
      outcome,
    });
  }
}
