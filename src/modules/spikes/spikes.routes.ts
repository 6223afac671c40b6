import { z } from '@hono/zod-openapi';
import { createRouter } from '../../http/create-router';
import { defineRoute, json, problemResponse } from '../../http/define-route';
import { PageQuerySchema, pageSchema } from '../../http/pagination';
import { dayInput } from '../../http/time-input';
import { recomputeAll } from './refresh-verdicts';
import { listSpikeAlerts } from './spike-alerts.service';
import { findSpikes } from './spikes.service';

const SpikeSchema = z
  .object({
    week: z.string().openapi({ description: 'Monday of the ISO week (workspace time zone).' }),
    reason: z.string(),
    label: z.string(),
    observed: z.number().int(),
    expected: z.number().openapi({ description: 'Contacts expected without any event.' }),
    usual: z.number().openapi({
      description:
        'Contacts usual for the week: expected plus the effect its events usually have. ' +
        'The probability is of the observed count against this.',
    }),
    excess: z.number(),
    probability: z.number().openapi({
      description: 'Mid-p of the observed count under the expected one: P(Y > y) + ½P(Y = y).',
    }),
    severity: z.enum(['low', 'medium', 'high']),
    method: z.enum(['ears_c2', 'count_model']).openapi({
      description: 'ears_c2 (recent clean weeks) under 26 weeks of history, count_model from 26.',
    }),
    events: z.array(
      z.object({
        event_id: z.uuid(),
        title: z.string(),
        kind: z.string(),
        share: z.number().openapi({ description: 'Share of the excess attributed to the event.' }),
        contacts: z.number(),
        attribution: z.enum(['model', 'overlap']).openapi({
          description:
            'model: the effect the event usually has, learned from its earlier occurrences; ' +
            'overlap: the event has no earlier occurrence to learn from, so it shares the rest. ' +
            'has no earlier occurrence to learn from.',
        }),
      }),
    ),
    unexplained: z.number().openapi({ description: 'Excess no overlapping event accounts for.' }),
  })
  .openapi('Spike');

const ReportSchema = z
  .object({
    from: z.string(),
    to: z.string(),
    time_zone: z.string(),
    alpha: z.number().openapi({ description: 'SPIKE_ALPHA: the false-discovery rate held.' }),
    computed_through: z.string().nullable().openapi({
      description:
        'The last week with verdicts: the last complete week, or the last week with tickets.',
    }),
    pending: z.boolean().openapi({
      description: 'Tickets, aliases or events changed and verdicts are being recomputed.',
    }),
    reasons_tested: z.number().int(),
    insufficient_history: z.array(
      z.object({
        reason: z.string(),
        history_weeks: z.number().int().openapi({
          description: 'Weeks with contacts in the year before the last week, since it began.',
        }),
        needed_weeks: z.number().int(),
      }),
    ),
    data_anomalies: z
      .array(
        z.object({
          day: z.string(),
          week: z.string(),
          reasons: z.array(z.object({ reason: z.string(), contacts: z.number().int() })),
        }),
      )
      .openapi({
        description:
          'Days on which reasons received weeks of tickets at once (backfills, re-imports): ' +
          'not spikes, and left out of baselines.',
      }),
    spikes: z.array(SpikeSchema),
  })
  .openapi('SpikeReport');

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
      content: json(ReportSchema),
    },
    404: problemResponse('The reason does not exist.'),
  },
});

const AlertSchema = SpikeSchema.extend({
  id: z.uuid(),
  detected_at: z.string(),
  notified_at: z.string().nullable().openapi({ description: 'When Slack accepted the message.' }),
}).openapi('SpikeAlert');

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
      content: json(pageSchema(AlertSchema)),
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
