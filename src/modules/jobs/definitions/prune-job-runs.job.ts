import { lt } from 'drizzle-orm';
import { jobRuns } from '../../../db/schema';
import type { Job } from '../job';

const KEEP_DAYS = 30;

export const pruneJobRunsJob: Job = {
  name: 'prune-job-runs',
  schedule: '17 3 * * *',
  rerunIfAbandoned: true,
  run: async (deps, now) => {
    const cutoff = new Date(now.getTime() - KEEP_DAYS * 24 * 60 * 60 * 1000);
    await deps.db.delete(jobRuns).where(lt(jobRuns.startedAt, cutoff));
  },
};
