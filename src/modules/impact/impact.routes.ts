import { z } from '@hono/zod-openapi';
import { createRouter } from '../../http/create-router';
import { defineRoute, json, problemResponse } from '../../http/define-route';
import { campaignImpact } from './impact.service';
import {
  CompanionSchema,
  DEFLECTION_RATE,
  DetectableSchema,
  EstimateSchema,
  INTERVAL_KIND,
  IntervalSchema,
  WarningSchema,
} from './impact-schemas';

const impactRoute = defineRoute({
  access: { roles: ['analyst'] },
  method: 'get',
  path: '/v1/campaigns/{id}/impact',
  tags: ['Impact'],
  summary: 'Contacts a campaign prevented, measured against its holdout',
  description:
    'Per exposed account, contacts from its first exposure to `window_days` after the campaign ' +
    'ends (or now, while it runs), treated against held-out accounts, each adjusted by its own ' +
    'contacts in the 8 weeks before exposure. The headline is `net`: contacts prevented over ' +
    'every reason. `target` is the same for the campaign’s target reasons, and `shifted` = ' +
    'target − net, contacts that moved to other reasons instead of going away. When the ' +
    'groups are too small or their contacts too concentrated for a calibrated interval, an ' +
    'estimate is `insufficient_data` with the reason and what would be needed, never a ' +
    'number. ' +
    INTERVAL_KIND +
    ' ' +
    DEFLECTION_RATE,
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
            window: z.object({
              days: z.number().int(),
              ends_at: z.string(),
              elapsed_days: z.number(),
              planned_days: z.number(),
            }),
            target_reasons: z.array(z.string()),
            interval_kind: z.enum(['fixed_horizon', 'always_valid']).openapi({
              description: INTERVAL_KIND,
            }),
            net: EstimateSchema,
            target: EstimateSchema,
            shifted: EstimateSchema,
            deflection_rate: z.number().nullable().openapi({ description: DEFLECTION_RATE }),
            detectable: DetectableSchema,
            companion: z.object({ treated: CompanionSchema, holdout: CompanionSchema }),
            warnings: z.array(WarningSchema),
            observational: z
              .object({
                status: z.enum(['ok', 'insufficient_data']),
                reason: z.string().optional(),
                method: z.literal('observational').optional(),
                expected: z.number().optional(),
                observed: z.number().optional(),
                prevented: IntervalSchema.optional(),
                fit: z
                  .object({
                    weeks: z.number().int(),
                    level_shifts: z.number().int(),
                    seasonal: z.boolean(),
                  })
                  .optional(),
              })
              .optional()
              .openapi({
                description:
                  'Without a holdout, for the target reasons: the contacts a local-level ' +
                  'model of the weeks before the campaign predicts for its window (yearly ' +
                  "season, the linked event's usual effect, level shifts found in the history, " +
                  'partial weeks by their hour-of-week share, only from the start) minus those ' +
                  'observed, interval by simulation. Observational: it assumes nothing else ' +
                  'changed; refused when the model fitted the weeks before poorly.',
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
