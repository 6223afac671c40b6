import { z } from '@hono/zod-openapi';
import { createRouter } from '../../http/create-router';
import { defineRoute, json, problemResponse } from '../../http/define-route';
import { PageQuerySchema, pageSchema } from '../../http/pagination';
import { dayInput } from '../../http/time-input';
import { recomputeAll } from './refresh-verdicts';
import { listSpikeAlerts } from './spike-alerts.service';
import { SpikeAlertSchema, SpikeReportSchema } from './spike-schemas';
import { findSpikes } from './spikes.service';

const spikesRoute = defineRoute({
  access: { roles: ['ops', 'analyst'] },
  method: 'get',
  path: '/v1/spikes',
  tags: ['Spikes'],
  summary: 'Weeks whose contacts for a reason were improbably high, tied to calendar events',
  request: {
    query: z.object({
      from: dayInput().optional().openapi({ description: 'Default: 12 weeks before `to`.' }),
      to: dayInput().optional().openapi({ description: 'Default: the last complete week.' }),
      reason: z.string().max(100).optional(),
    }),
  },
  responses: {
    200: {
      description: 'The spikes, oldest first',
      content: json(SpikeReportSchema),
    },
    404: problemResponse('The reason does not exist.'),
  },
});

const alertsRoute = defineRoute({
  access: { roles: ['ops', 'analyst'] },
  method: 'get',
  path: '/v1/spikes/alerts',
  tags: ['Spikes'],
  summary: 'Spikes stored by the weekly detection job, newest first',
  request: { query: PageQuerySchema },
  responses: {
    200: {
      description: 'A page of alerts',
      content: json(pageSchema(SpikeAlertSchema)),
    },
  },
});

const recomputeRoute = defineRoute({
  access: { roles: ['ops'] },
  method: 'post',
  path: '/v1/spikes/recompute',
  tags: ['Spikes'],
  summary: 'Recompute every stored verdict (in the background)',
  responses: {
    202: {
      description: 'Queued; GET /v1/spikes says `pending` until it is done',
      content: json(z.object({ pending: z.boolean() })),
    },
  },
});

export const spikeRoutes = createRouter()
  .openapi(recomputeRoute, async (c) => {
    await recomputeAll(c.var.deps);
    return c.json({ pending: true }, 202);
  })
  .openapi(spikesRoute, async (c) =>
    c.json(await findSpikes(c.var.deps, c.req.valid('query')), 200),
  )
  .openapi(alertsRoute, async (c) =>
    c.json(await listSpikeAlerts(c.var.deps, c.req.valid('query')), 200),
  );
