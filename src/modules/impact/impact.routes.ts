import { z } from '@hono/zod-openapi';
import { createRouter } from '../../http/create-router';
import { defineRoute, json, problemResponse } from '../../http/define-route';
import { inHeavyReadTurn } from '../../http/heavy-reads';
import { wholeNumberInput } from '../../http/number-input';
import { campaignImpact } from './impact.service';
import { CampaignImpactSchema, DEFLECTION_RATE, INTERVAL_KIND } from './impact-schemas';

const impactRoute = defineRoute({
  access: { roles: ['analyst'] },
  method: 'get',
  path: '/v1/campaigns/{id}/impact',
  tags: ['Impact'],
  summary: 'Contacts a campaign prevented, measured against its holdout',
  description:
    'Per exposed account, contacts from its first exposure to `window_days` after the campaign ' +
    'ends (or now, while it runs; a cancelled campaign ends at its cancellation, not at its ' +
    'planned end), treated against held-out accounts, each adjusted by its own ' +
    'contacts in the 8 weeks before exposure. The campaign is measured from when it reached ' +
    'accounts (`exposure.measured_from`): a campaign published after its start (back-dated) ' +
    'from its publication, with `exposure.note` saying so. The headline is `net`: contacts prevented over ' +
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
      window_days: wholeNumberInput(1, 180)
        .optional()
        .openapi({
          description:
            'Days after the campaign ends (or was cancelled) that still count (default ' +
            'IMPACT_WINDOW_DAYS, 14).',
        }),
    }),
  },
  responses: {
    200: {
      description:
        'The estimate so far, final once the window has closed, or none (`not_run`) for a ' +
        'draft or a campaign cancelled before anything went out',
      content: json(CampaignImpactSchema),
    },
    404: problemResponse('No such campaign.'),
  },
});

export const impactRoutes = createRouter().openapi(impactRoute, async (c) => {
  const { id } = c.req.valid('param');
  const { window_days } = c.req.valid('query');
  return c.json(await inHeavyReadTurn(c, () => campaignImpact(c.var.deps, id, window_days)), 200);
});
