import { z } from '@hono/zod-openapi';
import { createRouter } from '../../../http/create-router';
import { defineRoute, json, problemResponse } from '../../../http/define-route';
import { PageQuerySchema, pageSchema } from '../../../http/pagination';
import { StatusWebhookSchema } from '../status-schemas';
import {
  createStatusWebhook,
  deleteStatusWebhook,
  listStatusWebhooks,
} from './status-webhooks.service';

const ops = { roles: ['ops'] } as const;

/** The URL if it parses: refinements run even after the URL check has failed. */
const parsed = (url: string) => (URL.canParse(url) ? new URL(url) : undefined);

const WebhookUrlSchema = z
  .url({ protocol: /^https?$/ })
  .max(2000)
  .refine((url) => !parsed(url)?.username && !parsed(url)?.password, {
    message: 'must not carry credentials; put a token in the path instead',
  })
  .refine((url) => parsed(url)?.port !== '0', {
    message: 'must not name port 0, which nothing can be sent to',
  })
  .openapi({ example: 'https://example.com/hooks/status' });
const tags = ['Status'];

const createRoute = defineRoute({
  access: ops,
  method: 'post',
  path: '/v1/status/webhooks',
  tags,
  summary: 'Send every incident and maintenance update to a URL, signed',
  description:
    'Each update is POSTed as Statuspage-shaped JSON with Standard Webhooks headers: ' +
    '`webhook-id` (the same across retries), `webhook-timestamp` (unix seconds) and ' +
    '`webhook-signature: v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">`, keyed with ' +
    'the base64 part of the `whsec_` secret, so any Standard Webhooks library verifies it ' +
    '(exponential backoff, up to 10 attempts). The secret is shown only in this answer. ' +
    'A URL on a private, link-local or metadata address is refused with 400, and so is one on ' +
    'this machine (127.0.0.0/8, ::1, localhost) unless the deployment is local (`PUBLIC_URL` ' +
    'unset or itself loopback) or `WEBHOOKS_ALLOW_LOOPBACK=true`. The same rule is applied ' +
    'again before each delivery: to the address in the URL everywhere, and on Node to every ' +
    'address its name resolves to, each time it is resolved. On Cloudflare Workers names ' +
    'cannot be resolved before sending, so a name that resolves to a private or loopback ' +
    'address is not refused there.',
  request: {
    body: {
      required: true,
      content: json(
        z.object({
          url: WebhookUrlSchema,
        }),
      ),
    },
  },
  responses: {
    201: {
      description: 'The endpoint, with its signing secret (shown once)',
      content: json(StatusWebhookSchema.extend({ secret: z.string() })),
    },
  },
});

const listRoute = defineRoute({
  access: ops,
  method: 'get',
  path: '/v1/status/webhooks',
  tags,
  summary: 'Webhook endpoints with their delivery counts, in the order they were added',
  request: { query: PageQuerySchema },
  responses: {
    200: {
      description: 'A page of endpoints',
      content: json(pageSchema(StatusWebhookSchema)),
    },
  },
});

const deleteRoute = defineRoute({
  access: ops,
  method: 'delete',
  path: '/v1/status/webhooks/{id}',
  tags,
  summary: 'Stop sending updates to an endpoint',
  request: {
    params: z.object({ id: z.uuid().openapi({ param: { name: 'id', in: 'path' } }) }),
  },
  responses: {
    204: { description: 'Removed, with what it was still owed' },
    404: problemResponse('No such webhook.'),
  },
});

export const statusWebhookRoutes = createRouter()
  .openapi(createRoute, async (c) =>
    c.json(await createStatusWebhook(c.var.deps, c.req.valid('json').url), 201),
  )
  .openapi(listRoute, async (c) =>
    c.json(await listStatusWebhooks(c.var.deps, c.req.valid('query')), 200),
  )
  .openapi(deleteRoute, async (c) => {
    await deleteStatusWebhook(c.var.deps, c.req.valid('param').id);
    return c.body(null, 204);
  });
