import { index, pgTable, text, unique } from 'drizzle-orm/pg-core';
import { idColumn, timestamptz } from './columns';

export const JOB_RUN_STATUSES = ['running', 'succeeded', 'failed'] as const;

/**
 * One row per (job, scheduled minute): inserting it is how an instance claims the run,
 * so several Node instances or overlapping Cron Triggers run each job once.
 */
export const jobRuns = pgTable(
  'job_runs',
  {
    id: idColumn(),
    job: text('job').notNull(),
    scheduledFor: timestamptz('scheduled_for').notNull(),
    status: text('status', { enum: JOB_RUN_STATUSES }).notNull(),
    startedAt: timestamptz('started_at').notNull(),
    finishedAt: timestamptz('finished_at'),
    error: text('error'),
  },
  (table) => [
    unique('job_runs_job_scheduled_for_key').on(table.job, table.scheduledFor),
    index('job_runs_started_at_idx').on(table.startedAt),
  ],
);

export type JobRunRow = typeof jobRuns.$inferSelect;
