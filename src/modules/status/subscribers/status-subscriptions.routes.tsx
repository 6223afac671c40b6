import { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { Child } from 'hono/jsx';
import type { Config } from '../../../config';
import type { AppEnv } from '../../../http/app-env';
import { AppError } from '../../../http/app-error';
import { limitBody } from '../../../http/body-limit';
import { clientAddress, clientBucket } from '../../../http/client-address';
import { statusPagePolicy } from '../../../http/content-security-policies';
import { createRouter } from '../../../http/create-router';
import { defineRoute, json, problemResponse } from '../../../http/define-route';
import { emailAddress } from '../../../http/email-input';
import { renderStatusNotice } from '../public/status-page';
import { readUnsubscribeToken } from './status-subscription-token';
import {
  type ConfirmLinkState,
  confirmLinkState,
  confirmStatusSubscription,
  subscribeToStatus,
  unsubscribeFromStatus,
} from './status-subscriptions.service';

const EmailSchema = emailAddress();
const CHECK_INBOX = 'Check your inbox for a link to confirm.';

const subscribeRoute = defineRoute({
  access: 'public',
  method: 'post',
  path: '/status/subscriptions',
  tags: ['Public status (Statuspage API v2)'],
  summary: 'Ask for status updates by email (double opt-in)',
  description:
    'Queues an email with a confirmation link; nothing else is sent until it is followed. ' +
    'The answer is the same whether or not the address was known.',
  request: { body: { required: true, content: json(z.object({ email: EmailSchema })) } },
  responses: {
    202: {
      description: 'A confirmation email is on its way',
      content: json(z.object({ message: z.string() })),
    },
    429: problemResponse(
      'Too many requests from this client, for this mailbox or from everyone; nothing was ' +
        'queued. Retry after `Retry-After` seconds.',
    ),
  },
});

const clientOf = (c: Context<AppEnv>) =>
  clientBucket(clientAddress(c, c.var.deps.config.trustedProxies));

/**
 * The status site's subscription pages, under the status page's policy. Links in emails lead
 * to a form, since mail scanners follow them.
 */
export function statusSubscriptionRoutes(brand: Config['statusPageBrand']) {
  const policy = statusPagePolicy(brand.logoUrl, 'not framed');

  async function notice(
    c: Context<AppEnv>,
    status: 200 | 400 | 404 | 410 | 429,
    title: string,
    children?: Child,
  ) {
    const pageName = c.var.deps.config.statusPageName;
    const page = await renderStatusNotice({ pageName, brand, title, children });
    return c.body(page, status, {
      'Cache-Control': 'no-store',
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Security-Policy': policy,
    });
  }

  const invalidLink = (c: Context<AppEnv>) =>
    notice(c, 404, 'This link does not work', <p>It may be incomplete or changed.</p>);

  /** A signed confirmation link whose subscription is no longer the address's. */
  const staleConfirmLink = (c: Context<AppEnv>, state: ConfirmLinkState) => {
    if (state.kind === 'replaced') {
      return notice(
        c,
        410,
        'This link was replaced',
        <p>
          <strong>{state.email}</strong> asked for status updates again after this link was sent;
          use the link in the newer confirmation email.
        </p>,
      );
    }
    if (state.kind === 'ended') {
      return notice(
        c,
        410,
        'This subscription has ended',
        <p>
          <strong>{state.email}</strong> was unsubscribed (or not confirmed within a week) after
          this link was sent. Subscribe again on the status page for a new link.
        </p>,
      );
    }
    return invalidLink(c);
  };

  return createRouter()
    .openapi(subscribeRoute, async (c) => {
      await subscribeToStatus(c.var.deps, c.req.valid('json').email, clientOf(c));
      return c.json({ message: CHECK_INBOX }, 202);
    })
    .post('/status/subscribe', limitBody, async (c) => {
      const form = await c.req.parseBody().catch((): Record<string, unknown> => ({}));
      const email = EmailSchema.safeParse(String(form.email ?? ''));
      if (!email.success) {
        return notice(c, 400, 'That is not an email address', <p>Go back and check it.</p>);
      }
      try {
        await subscribeToStatus(c.var.deps, email.data, clientOf(c));
      } catch (error) {
        if (!(error instanceof AppError) || error.code !== 'rate_limited') throw error;
        c.header('Retry-After', String(error.retryAfterSeconds));
        return notice(c, 429, 'Too many requests', <p>{error.detail}</p>);
      }
      return notice(c, 200, 'Almost there', <p>{CHECK_INBOX}</p>);
    })
    .get('/status/subscriptions/confirm/:token', async (c) => {
      const state = await confirmLinkState(c.var.deps, c.req.param('token'));
      if (state.kind !== 'current') return staleConfirmLink(c, state);
      const { email } = state;
      return notice(
        c,
        200,
        'Confirm status updates',
        <form method="post">
          <p>
            Email <strong>{email}</strong> whenever an incident or maintenance is posted?
          </p>
          <button type="submit">Confirm</button>
        </form>,
      );
    })
    .post('/status/subscriptions/confirm/:token', async (c) => {
      const state = await confirmStatusSubscription(c.var.deps, c.req.param('token'));
      if (state.kind !== 'current') return staleConfirmLink(c, state);
      const { email } = state;
      return notice(
        c,
        200,
        'You are subscribed',
        <p>
          <strong>{email}</strong> gets an email with every status update.
        </p>,
      );
    })
    .get('/status/subscriptions/unsubscribe/:token', async (c) => {
      const email = await readUnsubscribeToken(c.var.deps, c.req.param('token'));
      if (!email) return invalidLink(c);
      return notice(
        c,
        200,
        'Unsubscribe from status updates',
        <form method="post">
          <p>
            Stop sending status updates to <strong>{email}</strong>?
          </p>
          <input type="hidden" name="List-Unsubscribe" value="One-Click" />
          <button type="submit">Unsubscribe</button>
        </form>,
      );
    })
    .post('/status/subscriptions/unsubscribe/:token', async (c) => {
      const email = await unsubscribeFromStatus(c.var.deps, c.req.param('token'));
      if (!email) return invalidLink(c);
      return notice(
        c,
        200,
        'You are unsubscribed',
        <p>
          <strong>{email}</strong> gets no more status updates.
        </p>,
      );
    });
}
