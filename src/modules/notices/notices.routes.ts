import { z } from '@hono/zod-openapi';
import type { Context, MiddlewareHandler } from 'hono';
import { cors } from 'hono/cors';
import { SEVERITIES } from '../../db/schema';
import type { AppEnv } from '../../http/app-env';
import { createRouter } from '../../http/create-router';
import { answerEtagHeader, defineRoute, json, problemResponse } from '../../http/define-route';
import { strongEtag } from '../../http/etag';
import { unlessNotModified } from '../../http/not-modified';
import { AccountIdSchema, LocaleSchema } from '../accounts/account-input';
import { getAccountRow } from '../accounts/accounts.service';
import { mintAccountToken } from '../auth/account-token';
import { IN_APP_CHANNELS } from '../campaigns/notice-audience';
import { EMBED_SCRIPT } from './embed-script';
import { dismissNotice, NOTICE_READERS } from './notices.service';
import { answerNotices, corsHeaders, NOTICES_EXPOSED_HEADERS } from './notices-answer';

const tags = ['Notices'];
const AccountParams = z.object({
  id: AccountIdSchema.openapi({ param: { name: 'id', in: 'path' } }),
});

const NoticeSchema = z
  .object({
    id: z.uuid().openapi({ description: 'The campaign id; use it to dismiss the notice.' }),
    channels: z.array(z.enum(IN_APP_CHANNELS)),
    severity: z.enum(SEVERITIES),
    title: z.string(),
    body_html: z.string().openapi({ description: 'Sanitised HTML, safe to insert.' }),
    cta: z.object({ label: z.string(), url: z.string() }).nullable(),
    starts_at: z.string(),
    ends_at: z.string().nullable(),
  })
  .openapi('Notice');

const noticesRoute = defineRoute({
  access: { roles: NOTICE_READERS, accountToken: true },
  accessCheckedByHandler: true,
  method: 'get',
  path: '/v1/accounts/{id}/notices',
  tags,
  summary: 'What this account should see now (banners and status messages)',
  description:
    'Audience rules matched, holdout applied, dismissed notices left out, content in the ' +
    "account's locale (or `locale`). Send `If-None-Match` with the last `ETag` to get a 304.",
  revalidated: true,
  request: {
    params: AccountParams,
    query: z.object({
      locale: LocaleSchema.optional().openapi({ description: "Overrides the account's locale." }),
    }),
  },
  responses: {
    200: {
      description: 'The notices, most urgent first',
      content: json(
        z
          .object({
            account_id: z.string(),
            locale: z.string().nullable(),
            notices: z.array(NoticeSchema),
          })
          .openapi('AccountNotices'),
      ),
      headers: answerEtagHeader,
    },
    404: problemResponse('No such account.'),
  },
});

const dismissRoute = defineRoute({
  access: { roles: ['app'], accountToken: true },
  method: 'post',
  path: '/v1/accounts/{id}/notices/{noticeId}/dismiss',
  tags,
  summary: 'Dismiss a notice for this account (idempotent)',
  description:
    'Only a notice the account is shown, or was while it ran: a started banner or status ' +
    'campaign whose audience takes the account and whose holdout does not keep it out. Any ' +
    'other campaign is a 404, as one that does not exist is, and nothing is stored.',
  request: {
    params: AccountParams.extend({
      noticeId: z.uuid().openapi({ param: { name: 'noticeId', in: 'path' } }),
    }),
  },
  responses: {
    204: { description: 'Dismissed (or already was)' },
    404: problemResponse('No such account, or no notice it is (or was) shown by that id.'),
  },
});

const tokenRoute = defineRoute({
  access: { roles: ['app'] },
  method: 'post',
  path: '/v1/accounts/{id}/token',
  tags,
  summary: 'Mint a short-lived browser token for this account (for /embed.js)',
  request: { params: AccountParams },
  responses: {
    201: {
      description: 'A token that reads and dismisses this account’s notices, nothing else',
      content: json(
        z.object({ token: z.string(), expires_at: z.string() }).openapi('AccountToken'),
      ),
    },
    404: problemResponse('No such account.'),
  },
});

/** Browsers may call the notices routes from the configured origins only. */
const corsForOrigins = cors({
  origin: (origin, c: Context<AppEnv>) =>
    c.var.deps.config.corsOrigins.includes(origin) ? origin : null,
  allowMethods: ['GET', 'POST', 'OPTIONS'],
  allowHeaders: ['Authorization', 'If-None-Match', 'Content-Type'],
  exposeHeaders: NOTICES_EXPOSED_HEADERS.split(','),
  maxAge: 600,
});

// Apps asking from their servers send no Origin and skip CORS altogether. Preflights and
// dismissals get their headers from the middleware; the notices GET carries its own
// (`answerNotices`), and one refused before it runs (a 400) is given the same here.
const browserCors: MiddlewareHandler<AppEnv> = async (c, next) => {
  const origin = c.req.header('origin');
  if (origin === undefined) return next();
  if (c.req.method !== 'GET') return corsForOrigins(c, next);
  await next();
  if (c.res.headers.has('access-control-expose-headers')) return;
  for (const [name, value] of Object.entries(corsHeaders(c.var.deps, origin, {}))) {
    c.res.headers.set(name, value);
  }
};

/**
 * Registered ahead of the checks every request passes (`safeUrlText`), so that an answer
 * refused there can be read by the page as well. The wildcard matches `/notices` itself too.
 */
export const noticesCrossOrigin = [['/v1/accounts/:id/notices/*', browserCors]] as const;

export const noticeRoutes = createRouter();
noticeRoutes
  .openapi(noticesRoute, async (c) => {
    const reply = await answerNotices(c.var.deps, {
      accountId: c.req.valid('param').id,
      locale: c.req.valid('query').locale,
      authorization: c.req.header('authorization'),
      ifNoneMatch: c.req.header('if-none-match'),
      origin: c.req.header('origin'),
      requestId: c.var.requestId,
      path: c.req.path,
    });
    // Through the context, so what the app's middleware set (X-Request-Id) is kept.
    return c.newResponse(reply.body, reply.status, reply.headers);
  })
  .openapi(dismissRoute, async (c) => {
    const { id, noticeId } = c.req.valid('param');
    await dismissNotice(c.var.deps, id, noticeId, {
      tokenGeneration: c.var.accountToken?.generation,
    });
    return c.body(null, 204);
  })
  .openapi(tokenRoute, async (c) => {
    const account = await getAccountRow(c.var.deps, c.req.valid('param').id);
    return c.json(await mintAccountToken(c.var.deps, account), 201);
  });

// Every product page loads it again once its 5 minutes of caching are up: a 304 then.
const EMBED_ETAG = strongEtag(EMBED_SCRIPT);

noticeRoutes.get('/embed.js', (c) => {
  c.header('Cache-Control', 'public, max-age=300');
  // Product pages on other origins load it; the default same-origin policy would block them.
  c.header('Cross-Origin-Resource-Policy', 'cross-origin');
  return unlessNotModified(c, EMBED_ETAG, () =>
    c.body(EMBED_SCRIPT, 200, { 'Content-Type': 'text/javascript; charset=utf-8' }),
  );
});
