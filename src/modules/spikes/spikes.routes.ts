import { z } from '@hono/zod-openapi';
import { createRouter } from '../../http/create-router';
import { defineRoute, json, problemResponse } from '../../http/define-route';
import { inHeavyReadTurn } from '../../http/heavy-reads';
import { PageQuerySchema, pageSchema } from '../../http/pagination';
import { dayInput } from '../../http/time-input';
import { recomputeAll, verdictsSettled } from './refresh-verdicts';
import { listSpikeAlerts } from './spike-alerts.service';
import { SpikeAlertSchema, SpikeReportSchema } from './spike-schemas';
import { findSpikes, spikeWeeks } from './spikes.service';

const spikesRoute = defineRoute({
  access: { roles: ['ops', 'analyst'] },
  method: 'get',
  path: '/v1/spikes',
  tags: ['Spikes'],
  summary: 'Weeks whose contacts for a reason were improbably high, tied to calendar events',
  request: {
    query: z.object({
      from: dayInput().optional().openapi({ description: 'Default: 12 weeks before `to`.' }),
      to: dayInput()
        .optional()
        .openapi({
          description:
            'Default: the last week with verdicts, or the last week of usual volume when the ' +
            'tickets trail off after it (`data.usual_through`).',
        }),
      reason: z
        .string()
        .max(100)
        .optional()
        .openapi({ description: 'Only this reason: its slug, its label or one of its aliases.' }),
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
  request: {
    headers: z.object({
      prefer: z
        .string()
        .max(200)
        .optional()
        .openapi({
          description:
            'RFC 7240 `wait=N`: hold the answer until every verdict is recomputed, for up to N ' +
            'seconds (at most 60, and within the request timeout).',
          example: 'wait=30',
        }),
    }),
  },
  responses: {
    200: {
      description: 'Recomputed within the preferred wait',
      content: json(z.object({ pending: z.boolean() })),
    },
    202: {
      description: 'Queued; GET /v1/spikes says `pending` until it is done',
      content: json(z.object({ pending: z.boolean() })),
    },
  },
});

export const spikeRoutes = createRouter()
  .openapi(recomputeRoute, async (c) => {
    const { deps } = c.var;
    await recomputeAll(deps);
    const seconds = preferredWait(c.req.valid('header').prefer, deps.config.requestTimeoutMs);
    // Only an instance that recomputes in the background can wait for it (not Workers).
    if (seconds > 0 && deps.detection.offThread && (await verdictsSettled(deps, seconds * 1000))) {
      return c.json({ pending: false }, 200, { 'preference-applied': `wait=${seconds}` });
    }
    return c.json({ pending: true }, 202);
  })
  .openapi(spikesRoute, async (c) => {
    const query = c.req.valid('query');
    // Its weeks are checked before it queues (a refused range is answered at once).
    const weeks = await spikeWeeks(c.var.deps, query);
    return c.json(await inHeavyReadTurn(c, () => findSpikes(c.var.deps, query, weeks)), 200);
  })
  .openapi(alertsRoute, async (c) =>
    c.json(await listSpikeAlerts(c.var.deps, c.req.valid('query')), 200),
  );

/** Seconds of an RFC 7240 `wait` preference, capped below the request timeout; 0 without one. */
function preferredWait(prefer: string | undefined, requestTimeoutMs: number): number {
  const asked = Number(prefer?.match(/(?:^|[\s,;])wait\s*=\s*"?(\d{1,6})"?/i)?.[1] ?? 0);
  return Math.max(0, Math.min(asked, 60, Math.floor(requestTimeoutMs / 1000) - 1));
}
