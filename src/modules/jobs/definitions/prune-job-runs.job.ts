import { and, eq, exists, gt, lt } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import { jobRuns } from '../../../db/schema';
import type { Job } from '../job';

const KEEP_DAYS = 30;

const later = alias(jobRuns, 'later_run');

/**
 * Removes runs older than 30 days, except each job's latest: the missed-run catch-up reads it
 * to tell a job that ran before an outage longer than that from one new to this database.
 */
export const pruneJobRunsJob: Job = {
  name: 'prune-job-runs',
  schedule: '17 3 * * *',
  rerunIfAbandoned: true,
  run: async (deps, now) => {
    const cutoff = new Date(now.getTime() - KEEP_DAYS * 24 * 60 * 60 * 1000);
    const laterRunOfTheSameJob = deps.db
      .select({ id: later.id })
      .from(later)
      .where(and(eq(later.job, jobRuns.job), gt(later.scheduledFor, jobRuns.scheduledFor)));
    await deps.db
      .delete(jobRuns)
      .where(and(lt(jobRuns.startedAt, cutoff), exists(laterRunOfTheSameJob)));
  },
};
