import { z } from '@hono/zod-openapi';
import { createRouter } from '../../http/create-router';
import { defineRoute, json } from '../../http/define-route';
import {
  confirmSubscriptionPage,
  invalidSubscriptionLinkPage,
  subscribedPage,
  unsubscribedPage,
  unsubscribeStatusPage,
} from './status-subscription-pages';
import {
  confirmStatusSubscription,
  readUnsubscribeAddress,
  subscribeToStatus,
  unsubscribeFromStatus,
} from './status-subscriptions.service';

const NO_STORE = { 'Cache-Control': 'no-store', 'Content-Type': 'text/html; charset=utf-8' };

const subscribeRoute = defineRoute({
  access: 'public',
  method: 'post',
  path: '/status/subscriptions',
  tags: ['Public status (Statuspage API v2)'],
  summary: 'Ask for status updates by email (double opt-in)',
  description:
    'Queues an email with a confirmation link; nothing else is sent until it is followed. ' +
    'The answer is the same whether or not the address was known.',
  request: {
    body: {
      required: true,
      content: json(z.object({ email: z.email().max(320) })),
    },
  },
  responses: {
    202: {
      description: 'A confirmation email is on its way',
      content: json(z.object({ message: z.string() })),
    },
  },
});

export const statusSubscriptionRoutes = createRouter()
  .openapi(subscribeRoute, async (c) => {
    await subscribeToStatus(c.var.deps, c.req.valid('json').email);
    return c.json({ message: 'Check your inbox for a link to confirm.' }, 202);
  })
  .get('/status/subscriptions/confirm/:token', (c) =>
    c.body(String(confirmSubscriptionPage()), 200, NO_STORE),
  )
  .post('/status/subscriptions/confirm/:token', async (c) => {
    const email = await confirmStatusSubscription(c.var.deps, c.req.param('token'));
    return email
      ? c.body(String(subscribedPage(email)), 200, NO_STORE)
      : c.body(String(invalidSubscriptionLinkPage()), 404, NO_STORE);
  })
  .get('/status/subscriptions/unsubscribe/:token', async (c) => {
    const email = await readUnsubscribeAddress(c.var.deps, c.req.param('token'));
    return email
      ? c.body(String(unsubscribeStatusPage(email)), 200, NO_STORE)
      : c.body(String(invalidSubscriptionLinkPage()), 404, NO_STORE);
  })
  .post('/status/subscriptions/unsubscribe/:token', async (c) => {
    const email = await unsubscribeFromStatus(c.var.deps, c.req.param('token'));
    return email
      ? c.body(String(unsubscribedPage(email)), 200, NO_STORE)
      : c.body(String(invalidSubscriptionLinkPage()), 404, NO_STORE);
  });
