import { and, desc, eq, lt } from 'drizzle-orm';
import { jobRuns } from '../../db/schema';
import type { Deps } from '../../deps';
import type { Job } from './job';
import { catchUpMissedRuns } from './missed-runs';
import { runJob } from './run-job';
import { latestMoment, scheduleZone } from './schedule-moments';

/**
 * A run still `running` this long after it started was left by a process that stopped
 * mid-run (killed, crashed, or shut down past its grace period). Longer than any job takes.
 */
export const ABANDONED_AFTER_MS = 30 * 60_000;
export const ABANDONED_ERROR = 'abandoned: the process running it stopped before it finished';

/**
 * Every minute: marks abandoned runs failed, so no run says `running` forever, and runs again
 * now the jobs among them whose next scheduled run is too far off to wait for (a weekly digest
 * killed mid-send would otherwise be lost for the week). The update claims each abandoned run
 * for one instance; what is run again is claimed for this minute like any run, and covers the
 * abandoned run's moment. A job whose run before was abandoned too is not run again: what kills
 * it (memory, a platform's CPU limit) would kill it every half hour, and the process serving
 * notices with it. Then it catches up the runs missed while no process was up.
 */
export function abandonedRunsJob(jobs: () => readonly Job[]): Job {
  return {
    name: 'settle-abandoned-runs',
    schedule: '* * * * *',
    run: async (deps, now, stop) => {
      const abandoned = await settleAbandonedRuns(deps, now);
      for (const job of jobs()) {
        if (stop?.aborted) return;
        const run = abandoned.findLast((r) => r.job === job.name);
        if (!job.rerunIfAbandoned || !run) continue;
        if (superseded(deps, job, run, now)) {
          deps.logger.info('abandoned job run not run again: a later scheduled run stands for it', {
            job: job.name,
            scheduled_for: run.scheduledFor.toISOString(),
          });
        } else if (await abandonedBefore(deps, run)) {
          deps.logger.error('job run abandoned twice in a row: not run again until its schedule', {
            job: job.name,
          });
        } else await runJob(deps, job, now, { stop, standsFor: run.scheduledFor });
      }
      await catchUpMissedRuns(deps, jobs(), now, stop);
    },
  };
}

/**
 * Whether the job was scheduled again since the abandoned run's moment (its process stayed
 * down past it): that later moment's run, on time or caught up, is the one to have, as a
 * weekly job down for weeks runs once, for its latest week.
 */
function superseded(deps: Deps, job: Job, run: AbandonedRun, now: Date): boolean {
  const latest = latestMoment(job.schedule, now, scheduleZone(job, deps.config));
  return latest !== undefined && latest > run.scheduledFor;
}

/** Whether the job's run before this one was abandoned too. */
async function abandonedBefore(deps: Deps, run: AbandonedRun): Promise<boolean> {
  const [previous] = await deps.db
    .select({ error: jobRuns.error })
    .from(jobRuns)
    .where(and(eq(jobRuns.job, run.job), lt(jobRuns.scheduledFor, run.scheduledFor)))
    .orderBy(desc(jobRuns.scheduledFor))
    .limit(1);
  return previous?.error === ABANDONED_ERROR;
}

type AbandonedRun = { job: string; scheduledFor: Date };

async function settleAbandonedRuns(deps: Deps, now: Date): Promise<AbandonedRun[]> {
  const abandoned = await deps.db
    .update(jobRuns)
    .set({ status: 'failed', error: ABANDONED_ERROR, finishedAt: now })
    .where(
      and(
        eq(jobRuns.status, 'running'),
        lt(jobRuns.startedAt, new Date(now.getTime() - ABANDONED_AFTER_MS)),
      ),
    )
    .returning({ job: jobRuns.job, scheduledFor: jobRuns.scheduledFor });
  for (const run of abandoned) {
    deps.logger.warn('job run abandoned', {
      job: run.job,
      scheduled_for: run.scheduledFor.toISOString(),
    });
  }
  return abandoned.sort((a, b) => a.scheduledFor.getTime() - b.scheduledFor.getTime());
}
