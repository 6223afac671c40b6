import { z } from '@hono/zod-openapi';
import { createRouter } from '../../http/create-router';
import { defineRoute, etagHeader, json, problemResponse } from '../../http/define-route';
import { unlessNotModified } from '../../http/not-modified';
import { PageQuerySchema, pageSchema } from '../../http/pagination';
import { actorOf } from '../../http/principal';
import { campaignEtag } from './campaign-etag';
import {
  CAMPAIGN_STATUSES,
  CampaignCreateSchema,
  CampaignPatchSchema,
  CampaignSchema,
} from './campaign-input';
import {
  createCampaign,
  getCampaign,
  listCampaignAudit,
  listCampaigns,
  patchCampaign,
} from './campaigns.service';
import { holdoutWarnings } from './holdout-power';

const ops = { roles: ['ops'] } as const;
const readers = { roles: ['ops', 'analyst'] } as const;
const tags = ['Campaigns'];
const IdParams = z.object({ id: z.uuid().openapi({ param: { name: 'id', in: 'path' } }) });

const createRoute = defineRoute({
  access: ops,
  method: 'post',
  idempotent: true,
  path: '/v1/campaigns',
  tags,
  summary: 'Create a campaign (a draft, or published at once with `publish: true`)',
  request: { body: { required: true, content: json(CampaignCreateSchema) } },
  responses: {
    201: {
      description:
        'Created. `warnings` says when the holdout is too small for the net (headline) ' +
        'estimate to detect a lift of 20% of the audience’s expected target-reason contacts ' +
        '(80% power, 5% level; the campaign is created anyway). The detectable lift comes from ' +
        'the audience’s contacts in the last 16 weeks, summed in the database: their spread ' +
        'beyond Poisson and the part of it each account’s own 8 weeks before predict, which the ' +
        'estimate adjusts away (`minimum_detectable_lift`; without the adjustment, ' +
        '`minimum_detectable_lift_unadjusted`).',
      headers: etagHeader,
      content: json(
        CampaignSchema.extend({
          warnings: z.array(
            z.object({
              code: z.enum(['holdout_too_small', 'holdout_not_checked']).openapi({
                description:
                  '`holdout_not_checked` when the check could not finish within 5 s: the ' +
                  'campaign is created all the same.',
              }),
              message: z.string(),
              minimum_detectable_lift: z.number().nullable(),
              minimum_detectable_lift_unadjusted: z.number().nullable(),
            }),
          ),
        }).openapi('CreatedCampaign'),
      ),
    },
  },
});

const listRoute = defineRoute({
  access: readers,
  method: 'get',
  path: '/v1/campaigns',
  tags,
  summary: 'List campaigns, newest first',
  request: { query: PageQuerySchema.extend({ status: z.enum(CAMPAIGN_STATUSES).optional() }) },
  responses: {
    200: { description: 'A page of campaigns', content: json(pageSchema(CampaignSchema)) },
  },
});

const getRoute = defineRoute({
  access: readers,
  method: 'get',
  path: '/v1/campaigns/{id}',
  tags,
  summary: 'One campaign',
  description:
    'Send `If-None-Match` with the last `ETag` to get a 304 while it is unchanged. The ETag ' +
    'names the version and the status (`"4-active"`): a campaign the clock alone moved on ' +
    '(scheduled to active, active to ended) has a new one, and is answered in full.',
  revalidated: true,
  request: { params: IdParams },
  responses: {
    200: { description: 'The campaign', content: json(CampaignSchema), headers: etagHeader },
    404: problemResponse('No such campaign.'),
  },
});

const patchRoute = defineRoute({
  access: ops,
  method: 'patch',
  idempotent: true,
  conditional: true,
  path: '/v1/campaigns/{id}',
  tags,
  summary: 'Change a campaign, publish it, end it or cancel it',
  description:
    'Lifecycle: draft → scheduled → active → ended, or cancelled before it starts. ' +
    'Scheduled becomes active and active becomes ended by the clock alone. A move the ' +
    'campaign’s state does not allow (ending a draft, cancelling an active campaign, ' +
    'publishing one already published, a new `starts_at` or `holdout_percent` for an active ' +
    'campaign, any change to an ended or cancelled campaign) is a 409 `conflict` and changes ' +
    'nothing; a body the schema refuses is a 400. An active campaign takes its own `starts_at` ' +
    'and `holdout_percent` sent back unchanged. `If-Match` holds while the campaign has the ' +
    'version and the status its ETag names: one the clock moved on since is a 412 as well.',
  request: { params: IdParams, body: { required: true, content: json(CampaignPatchSchema) } },
  responses: {
    200: {
      description: 'The campaign after the change',
      content: json(CampaignSchema),
      headers: etagHeader,
    },
    404: problemResponse('No such campaign.'),
    409: problemResponse(
      'The campaign has ended or was cancelled, or its state does not allow the change asked.',
    ),
  },
});

const AuditEntrySchema = z
  .object({
    at: z.string(),
    actor: z.string(),
    action: z.string(),
    changes: z.record(z.string(), z.object({ from: z.unknown(), to: z.unknown() })),
  })
  .openapi('CampaignAuditEntry');

const auditRoute = defineRoute({
  access: readers,
  method: 'get',
  path: '/v1/campaigns/{id}/audit',
  tags,
  summary: 'Every change to a campaign: who, when, what',
  description:
    'Oldest first, a page at a time (`limit`, and the `next_cursor` of the previous page).',
  request: { params: IdParams, query: PageQuerySchema },
  responses: {
    200: { description: 'A page of the audit trail', content: json(pageSchema(AuditEntrySchema)) },
    404: problemResponse('No such campaign.'),
  },
});

export const campaignRoutes = createRouter()
  .openapi(createRoute, async (c) => {
    const input = c.req.valid('json');
    const campaign = await createCampaign(c.var.deps, input, actorOf(c.var.principal));
    const warnings = await holdoutWarnings(c.var.deps, input);
    return c.json({ ...campaign, warnings }, 201, { ETag: campaignEtag(campaign) });
  })
  .openapi(listRoute, async (c) =>
    c.json(await listCampaigns(c.var.deps, c.req.valid('query')), 200),
  )
  .openapi(getRoute, async (c) => {
    const campaign = await getCampaign(c.var.deps, c.req.valid('param').id);
    return unlessNotModified(c, campaignEtag(campaign), () => c.json(campaign, 200));
  })
  .openapi(patchRoute, async (c) => {
    const { id } = c.req.valid('param');
    const patch = c.req.valid('json');
    const { deps, principal, ifMatch } = c.var;
    const campaign = await patchCampaign(deps, id, patch, actorOf(principal), deps.db, ifMatch);
    return c.json(campaign, 200, { ETag: campaignEtag(campaign) });
  })
  .openapi(auditRoute, async (c) =>
    c.json(await listCampaignAudit(c.var.deps, c.req.valid('param').id, c.req.valid('query')), 200),
  );
