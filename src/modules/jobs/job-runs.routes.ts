import { z } from '@hono/zod-openapi';
import { JOB_RUN_STATUSES } from '../../db/schema';
import { createRouter } from '../../http/create-router';
import { defineRoute, json } from '../../http/define-route';
import { PageQuerySchema, pageSchema } from '../../http/pagination';
import { listJobRuns } from './job-runs.service';

const JobRunSchema = z
  .object({
    id: z.uuid(),
    job: z.string(),
    status: z.enum(JOB_RUN_STATUSES),
    scheduled_for: z.iso.datetime(),
    started_at: z.iso.datetime(),
    finished_at: z.iso.datetime().nullable(),
    error: z.string().nullable(),
  })
  .openapi('JobRun');

const listJobRunsRoute = defineRoute({
  access: { roles: ['admin'] },
  method: 'get',
  path: '/v1/job-runs',
  tags: ['Jobs'],
  summary: 'Recent runs of scheduled jobs, newest first',
  request: {
    query: PageQuerySchema.extend({ job: z.string().min(1).max(100).optional() }),
  },
  responses: {
    200: {
      description: 'A page of job runs',
      content: json(pageSchema(JobRunSchema)),
    },
  },
});

export const jobRunRoutes = createRouter().openapi(listJobRunsRoute, async (c) =>
  c.json(await listJobRuns(c.var.deps, c.req.valid('query')), 200),
);
