import { and, eq } from 'drizzle-orm';
import { v7 as uuidv7 } from 'uuid';
import { jobRuns } from '../../db/schema';
import type { Deps } from '../../deps';
import type { Job } from './job';
import { dueAt, minuteOf, triggerOf } from './schedule-moments';

export type JobOutcome = 'succeeded' | 'failed' | 'skipped';

export type RunOptions = {
  stop?: AbortSignal;
  /** The slot claimed: the minute of `now` unless given. */
  scheduledFor?: Date;
  /** The moment the job is run for (its `now`): `scheduledFor` when given, else `now`. */
  standsFor?: Date;
};

/**
 * Claims the (job, minute) slot in the database and runs the job only if the claim is ours,
 * so several instances (or a retried Cron Trigger) run each scheduled minute once. A run that
 * makes up for a missed one claims the slot of the moment it stands for, so it is that run.
 */
export async function runJob(
  deps: Deps,
  job: Job,
  now: Date,
  options: RunOptions = {},
): Promise<JobOutcome> {
  const scheduledFor = options.scheduledFor ?? minuteOf(now);
  const standsFor = options.standsFor ?? options.scheduledFor ?? now;
  const [claim] = await deps.db
    .insert(jobRuns)
    .values({ id: uuidv7(), job: job.name, scheduledFor, status: 'running', startedAt: now })
    .onConflictDoNothing()
    .returning({ id: jobRuns.id });
  if (!claim) {
    deps.logger.debug('job already claimed', { job: job.name, scheduled_for: scheduledFor });
    return 'skipped';
  }
  try {
    await job.run(deps, standsFor, options.stop);
    await finish(deps, claim.id, 'succeeded', null);
    return 'succeeded';
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    deps.logger.error('job failed', { job: job.name, error: message });
    await finish(deps, claim.id, 'failed', message);
    return 'failed';
  }
}

async function finish(
  deps: Deps,
  id: string,
  status: 'succeeded' | 'failed',
  error: string | null,
): Promise<void> {
  await deps.db
    .update(jobRuns)
    .set({ status, error, finishedAt: deps.clock.now() })
    // A run marked abandoned (it outlived ABANDONED_AFTER_MS) keeps saying so.
    .where(and(eq(jobRuns.id, id), eq(jobRuns.status, 'running')));
}

/** What the Workers `scheduled()` handler runs: every job whose trigger fired and is due. */
export async function runJobsForCron(
  deps: Deps,
  jobs: readonly Job[],
  cron: string,
  now: Date,
): Promise<JobOutcome[]> {
  const fired = jobs.filter((job) => triggerOf(job) === cron);
  if (fired.length === 0) deps.logger.warn('no job has this schedule', { cron });
  const due = fired.filter((job) => dueAt(job, deps.config, now));
  return Promise.all(due.map((job) => runJob(deps, job, now)));
}
