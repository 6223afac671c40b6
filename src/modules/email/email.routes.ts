import { z } from '@hono/zod-openapi';
import { DELIVERY_STATUSES } from '../../db/schema';
import { EMAIL_PREVIEW_POLICY } from '../../http/content-security-policies';
import { createRouter } from '../../http/create-router';
import { defineRoute, json, problemResponse } from '../../http/define-route';
import { emailAddress } from '../../http/email-input';
import { wholeNumberInput } from '../../http/number-input';
import { keyCursorSchema, PageQuerySchema, pageSchema } from '../../http/pagination';
import { listDeliveries, listOutbox } from './delivery/deliveries.service';
import { previewCampaignEmail } from './delivery/email-preview.service';
import { deliveryAsSeenBy } from './delivery/recipient-mask';
import { liftBounce, listSuppressions } from './recipients/suppressions.service';

/** An email as composed: what the preview and the outbox both show. */
const MessageFields = {
  to: z.string(),
  from: z.string(),
  subject: z.string(),
  html: z.string(),
  text: z.string(),
  headers: z.record(z.string(), z.string()),
};

const CampaignParams = z.object({ id: z.uuid().openapi({ param: { name: 'id', in: 'path' } }) });

const previewRoute = defineRoute({
  access: { roles: ['ops'] },
  method: 'get',
  path: '/v1/campaigns/{id}/email-preview',
  tags: ['Email'],
  summary: "The email an account's contact would receive",
  description:
    'Composed exactly as the sender composes it (subject, HTML, text part, unsubscribe ' +
    'headers, local send time); `skipped` says when this recipient would get nothing. ' +
    '`format=html` answers the HTML alone, to open in a browser.',
  request: {
    params: CampaignParams,
    query: z.object({
      account: z.string().min(1).max(200).openapi({ example: 'acme' }),
      email: emailAddress()
        .optional()
        .openapi({ description: "Default: the account's first contact." }),
      format: z.enum(['json', 'html']).default('json'),
    }),
  },
  responses: {
    200: {
      description: 'The message',
      content: {
        ...json(
          z
            .object({
              account_id: z.string(),
              ...MessageFields,
              scheduled_for: z.string(),
              delivery_status: z.enum(DELIVERY_STATUSES).nullable(),
              skipped: z.enum(['not_in_audience', 'held_out', 'suppressed']).nullable(),
            })
            .openapi('EmailPreview'),
        ),
        'text/html': { schema: z.string() },
      },
    },
    409: problemResponse('The campaign has no email channel'),
  },
});

const DeliverySchema = z
  .object({
    id: z.uuid(),
    account_id: z
      .string()
      .optional()
      .openapi({ description: 'The recipient account. Left out for analyst keys.' }),
    email: z.string().openapi({
      description: 'Masked for analyst keys (`j•••@example.com`); whole for ops and admin.',
    }),
    status: z.enum(DELIVERY_STATUSES),
    scheduled_for: z.string(),
    time_zone: z.string().optional().openapi({
      description: 'The recipient zone its send time is in. Left out for analyst keys.',
    }),
    sent_at: z.string().nullable(),
    attempts: z.number().int(),
    provider_id: z
      .string()
      .nullable()
      .optional()
      .openapi({
        description:
          "The provider's message id (Resend's), whose log names the recipient. " +
          'Left out for analyst keys.',
      }),
    error: z
      .string()
      .nullable()
      .optional()
      .openapi({
        description:
          "The provider's reason for a failure or bounce (it may quote the address). " +
          'Left out for analyst keys.',
      }),
  })
  .openapi('EmailDelivery');

const deliveriesRoute = defineRoute({
  access: { roles: ['ops', 'analyst'] },
  method: 'get',
  path: '/v1/campaigns/{id}/deliveries',
  tags: ['Email'],
  summary: "An email campaign's deliveries and how many are in each state",
  description:
    'Analyst keys read the counts and states, not who the recipients are: each address is ' +
    'masked (`j•••@example.com`), and `account_id`, `provider_id`, `time_zone` and `error`, ' +
    'which name the recipient another way, are left out. Ops and admin keys see them whole.',
  request: {
    params: CampaignParams,
    query: PageQuerySchema.extend({ status: z.enum(DELIVERY_STATUSES).optional() }),
  },
  responses: {
    200: {
      description: 'A page of deliveries, newest first, with counts for the whole campaign',
      content: json(
        pageSchema(DeliverySchema).extend({
          counts: z.record(z.enum(DELIVERY_STATUSES), z.number().int()),
          held_out_accounts: z.number().int(),
        }),
      ),
    },
  },
});

const outboxRoute = defineRoute({
  access: { roles: ['ops'] },
  method: 'get',
  path: '/v1/outbox',
  tags: ['Email'],
  summary: 'Messages the local outbox transport stored instead of sending',
  description: 'Without RESEND_API_KEY, forestall renders and keeps each email here.',
  request: { query: PageQuerySchema.extend({ campaign_id: z.uuid().optional() }) },
  responses: {
    200: {
      description: 'A page of stored messages, newest first',
      content: json(
        pageSchema(
          z
            .object({
              id: z.uuid(),
              delivery_id: z.uuid(),
              campaign_id: z
                .uuid()
                .nullable()
                .openapi({ description: 'Null for the report digest.' }),
              ...MessageFields,
              created_at: z.string(),
            })
            .openapi('OutboxMessage'),
        ),
      ),
    },
  },
});

const SuppressionSchema = z
  .object({
    email: z.string(),
    reason: z.enum(['bounced', 'complained', 'unsubscribed']),
    campaign_id: z.string().nullable(),
    created_at: z.string(),
  })
  .openapi('EmailSuppression');

const listSuppressionsRoute = defineRoute({
  access: { roles: ['ops'] },
  method: 'get',
  path: '/v1/email-suppressions',
  tags: ['Email'],
  summary: 'Addresses no campaign email goes to (bounced, complained, unsubscribed)',
  request: {
    query: z.object({
      limit: wholeNumberInput(1, 200).default(50),
      cursor: keyCursorSchema.optional(),
    }),
  },
  responses: {
    200: { description: 'A page, by address', content: json(pageSchema(SuppressionSchema)) },
  },
});

const liftBounceRoute = defineRoute({
  access: { roles: ['ops'] },
  method: 'delete',
  path: '/v1/email-suppressions/{email}',
  tags: ['Email'],
  summary: 'Lift a hard bounce',
  description: "Only bounces: unsubscribes and complaints are the recipient's wish (409).",
  request: {
    params: z.object({
      email: z
        .string()
        .min(3)
        .max(320)
        .openapi({ param: { name: 'email', in: 'path' } }),
    }),
  },
  responses: { 204: { description: 'Lifted' }, 409: problemResponse('Not a bounce') },
});

export const emailRoutes = createRouter()
  .openapi(previewRoute, async (c) => {
    const query = c.req.valid('query');
    const preview = await previewCampaignEmail(
      c.var.deps,
      c.req.valid('param').id,
      query.account,
      query.email,
    );
    if (query.format === 'html') {
      return c.html(preview.html, 200, { 'Content-Security-Policy': EMAIL_PREVIEW_POLICY });
    }
    return c.json(preview, 200);
  })
  .openapi(deliveriesRoute, async (c) => {
    const page = await listDeliveries(c.var.deps, c.req.valid('param').id, c.req.valid('query'));
    const { role } = c.var.principal;
    return c.json(
      { ...page, data: page.data.map((delivery) => deliveryAsSeenBy(role, delivery)) },
      200,
    );
  })
  .openapi(outboxRoute, async (c) =>
    c.json(await listOutbox(c.var.deps, c.req.valid('query')), 200),
  )
  .openapi(listSuppressionsRoute, async (c) => {
    const query = c.req.valid('query');
    return c.json(
      await listSuppressions(c.var.deps, { limit: query.limit, after: query.cursor }),
      200,
    );
  })
  .openapi(liftBounceRoute, async (c) => {
    await liftBounce(c.var.deps, c.req.valid('param').email);
    return c.body(null, 204);
  });
