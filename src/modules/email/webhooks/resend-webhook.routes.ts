import { z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import type { AppEnv } from '../../../http/app-env';
import { AppError } from '../../../http/app-error';
import { createRouter } from '../../../http/create-router';
import { defineRoute, json } from '../../../http/define-route';
import { applyResendEvent } from './resend-webhook.service';

/**
 * Resend signs webhooks Standard-Webhooks style with `svix-*` headers; the signature covers the
 * exact bytes sent, so it is checked before the body is parsed (Hono caches the text).
 */
const resendSignature: MiddlewareHandler<AppEnv> = async (c, next) => {
  const secret = c.var.deps.config.email.webhookSecret;
  if (!secret) throw new AppError('not_found', 'Resend webhooks are not configured.');
  try {
    new Webhook(secret).verify(await c.req.text(), {
      'webhook-id': c.req.header('svix-id') ?? '',
      'webhook-timestamp': c.req.header('svix-timestamp') ?? '',
      'webhook-signature': c.req.header('svix-signature') ?? '',
    });
  } catch (error) {
    // `verify` parses the body once the signature holds: a body that is no JSON is the
    // route's 400 to give, not a bad signature, which would send operators to rotate a secret.
    if (error instanceof WebhookVerificationError) {
      throw new AppError('unauthorized', 'The Resend webhook signature does not match.');
    }
    if (!(error instanceof SyntaxError)) throw error;
  }
  await next();
};

const ResendEventSchema = z
  .object({
    type: z.string().min(1).max(100).openapi({ example: 'email.delivered' }),
    created_at: z.string().optional(),
    data: z
      .looseObject({
        email_id: z.string().max(200).optional(),
        bounce: z
          .looseObject({ type: z.string().optional(), message: z.string().optional() })
          .optional(),
      })
      .default({}),
  })
  .openapi('ResendWebhookEvent');

const resendWebhookRoute = defineRoute({
  access: { signedBy: resendSignature },
  method: 'post',
  path: '/v1/webhooks/resend',
  tags: ['Email'],
  summary: 'Receive Resend email events (signed)',
  description:
    'Point a Resend webhook here with its signing secret in RESEND_WEBHOOK_SECRET. ' +
    '`email.delivered`, `email.bounced`, `email.complained` and `email.failed` update the ' +
    'delivery (found by `email_id`, or by its `delivery_id` tag when no id was recorded); hard ' +
    'bounces and complaints suppress the address. Each `svix-id` is applied ' +
    'once; a retry is acknowledged and changes nothing. 401 for a bad signature, 400 for a signed body that is not JSON, 404 while ' +
    'no secret is configured.',
  request: {
    headers: z.object({ 'svix-id': z.string().min(1).max(200) }),
    body: { required: true, content: json(ResendEventSchema) },
  },
  responses: {
    200: {
      description: 'Applied, ignored, or already applied',
      content: json(z.object({ duplicate: z.boolean(), applied: z.boolean() })),
    },
  },
});

export const resendWebhookRoutes = createRouter().openapi(resendWebhookRoute, async (c) => {
  const event = c.req.valid('json');
  const result = await applyResendEvent(c.var.deps, c.req.valid('header')['svix-id'], event);
  return c.json(result, 200);
});
