import { and, desc, eq, lt } from 'drizzle-orm';
import { type JobRunRow, jobRuns } from '../../db/schema';
import type { Deps } from '../../deps';
import { type Page, type PageQuery, toPage } from '../../http/pagination';

export type JobRunView = {
  id: string;
  job: string;
  status: JobRunRow['status'];
  scheduled_for: string;
  started_at: string;
  finished_at: string | null;
  error: string | null;
};

const toView = (row: JobRunRow): JobRunView => ({
  id: row.id,
  job: row.job,
  status: row.status,
  scheduled_for: row.scheduledFor.toISOString(),
  started_at: row.startedAt.toISOString(),
  finished_at: row.finishedAt?.toISOString() ?? null,
  error: row.error,
});

/** Newest first, so ops see the latest outcome of each job on the first page. */
export async function listJobRuns(
  deps: Deps,
  query: PageQuery & { job?: string },
): Promise<Page<JobRunView>> {
  const rows = await deps.db
    .select()
    .from(jobRuns)
    .where(
      and(
        query.job ? eq(jobRuns.job, query.job) : undefined,
        query.cursor ? lt(jobRuns.id, query.cursor) : undefined,
      ),
    )
    .orderBy(desc(jobRuns.id))
    .limit(query.limit + 1);
  return toPage(rows.map(toView), query.limit);
}
