import { z } from '@hono/zod-openapi';
import { createRouter } from '../../http/create-router';
import { defineRoute, json, problemResponse } from '../../http/define-route';
import { campaignImpact } from './impact.service';

const Interval = z.object({ estimate: z.number(), low: z.number(), high: z.number() });
const Group = z.object({ accounts: z.number().int(), contacts: z.number(), rate: z.number() });
const Estimate = z
  .object({
    status: z.enum(['ok', 'insufficient_data']),
    reason: z.string().optional(),
    treated: Group.optional(),
    holdout: Group.optional(),
    prevented: Interval.optional().openapi({
      description: 'Contacts prevented among treated accounts, with a 95% interval.',
    }),
    lift: Interval.nullable().optional().openapi({
      description: 'Relative reduction of the treated contact rate (null while a group has none).',
    }),
    p_value: z.number().optional(),
    savings_cents: Interval.optional().openapi({ description: 'prevented × COST_PER_TICKET.' }),
  })
  .openapi('ImpactEstimate');

const CompanionSchema = z.object({
  contacts: z.number(),
  recontact_rate: z.number().nullable(),
  resolution_rate: z.number().nullable(),
  cost_per_resolution_cents: z.number().int().nullable(),
});

const impactRoute = defineRoute({
  access: { roles: ['analyst'] },
  method: 'get',
  path: '/v1/campaigns/{id}/impact',
  tags: ['Impact'],
  summary: 'Contacts a campaign prevented, measured against its holdout',
  description:
    'Per exposed account, contacts from its first exposure to `window_days` after the campaign ' +
    'ends (or now, while it runs), treated against held-out accounts: prevented contacts with a ' +
    '95% interval (difference of means, unequal variances), relative lift (delta method), a ' +
    'p-value, savings, and the same for all reasons so a shift to another reason does not count.',
  request: {
    params: z.object({ id: z.uuid().openapi({ param: { name: 'id', in: 'path' } }) }),
    query: z.object({
      window_days: z.coerce.number().int().min(1).max(180).optional().openapi({
        description:
          'Days after the campaign ends that still count (default IMPACT_WINDOW_DAYS, 14).',
      }),
    }),
  },
  responses: {
    200: {
      description: 'The estimate so far, or final once the window has closed',
      content: json(
        z
          .object({
            campaign_id: z.string(),
            campaign_status: z.string(),
            measurement: z.enum(['final', 'so_far']),
            method: z.enum(['holdout', 'observational']),
            window: z.object({ days: z.number().int(), ends_at: z.string() }),
            target_reasons: z.array(z.string()),
            target: Estimate,
            all_reasons: Estimate,
            detectable: z.object({ minimum_detectable_lift: z.number().nullable() }),
            companion: z
              .object({
                treated: CompanionSchema,
                holdout: CompanionSchema,
                deflection_rate: z.number().nullable(),
              })
              .openapi({
                description:
                  'Re-contact rate (re-contacts within 48 h / contacts) and resolution rate ' +
                  '(resolved / contacts) of each group over the window, all reasons, and cost per ' +
                  'resolution (contacts × COST_PER_TICKET / resolved); deflection ' +
                  'rate = prevented / (treated target contacts + prevented).',
              }),
            observational: z
              .object({
                status: z.enum(['ok', 'insufficient_data']),
                reason: z.string().optional(),
                method: z.literal('observational').optional(),
                expected: z.number().optional(),
                observed: z.number().optional(),
                prevented: Interval.optional(),
              })
              .optional()
              .openapi({
                description:
                  'Without a holdout: expected contacts from the weeks before the campaign ' +
                  "(with the linked event's usual spike) minus observed, interval by simulation. " +
                  'Observational: it assumes nothing else changed.',
              }),
          })
          .openapi('CampaignImpact'),
      ),
    },
    404: problemResponse('No such campaign.'),
  },
});

export const impactRoutes = createRouter().openapi(impactRoute, async (c) =>
  c.json(
    await campaignImpact(c.var.deps, c.req.valid('param').id, c.req.valid('query').window_days),
    200,
  ),
);
