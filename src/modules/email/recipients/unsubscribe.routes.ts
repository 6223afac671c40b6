import { UNSUBSCRIBE_PAGE_POLICY } from '../../../http/content-security-policies';
import { createRouter } from '../../../http/create-router';
import { isSuppressed, suppressAddress } from './suppressions.service';
import { confirmPage, donePage, invalidLinkPage } from './unsubscribe-page';
import { readUnsubscribeToken } from './unsubscribe-token';

/**
 * RFC 8058 one-click unsubscribe: the link in `List-Unsubscribe` takes a POST with no cookie
 * or key (mail clients send `List-Unsubscribe=One-Click`) and answers 200; a GET, which mail
 * scanners also make, only shows a page asking to confirm. The signed token is the credential.
 */
export const unsubscribeRoutes = createRouter();

const HTML = 'text/html; charset=utf-8';
const NO_STORE = {
  'Cache-Control': 'no-store',
  'Content-Type': HTML,
  'Content-Security-Policy': UNSUBSCRIBE_PAGE_POLICY,
};

unsubscribeRoutes.get('/unsubscribe/:token', async (c) => {
  const { deps } = c.var;
  const payload = await readUnsubscribeToken(deps, c.req.param('token'));
  if (!payload) return c.body(String(await invalidLinkPage()), 404, NO_STORE);
  const done = await isSuppressed(deps, payload.email);
  return c.body(String(await confirmPage(payload.email, done)), 200, NO_STORE);
});

unsubscribeRoutes.post('/unsubscribe/:token', async (c) => {
  const { deps } = c.var;
  const payload = await readUnsubscribeToken(deps, c.req.param('token'));
  if (!payload) return c.body(String(await invalidLinkPage()), 404, NO_STORE);
  await suppressAddress(deps, payload.email, 'unsubscribed', payload.campaign);
  return c.body(String(await donePage(payload.email)), 200, NO_STORE);
});
