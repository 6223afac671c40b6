import { sql } from 'drizzle-orm';
import { expect } from 'vitest';
import { createCampaign } from './campaigns';
import { readJson } from './read-json';
import type { TestApp } from './test-app';

/**
 * A clean slate for a notices test: no campaigns, accounts or pending exposures, the clock at
 * 2026-03-02 09:00 UTC, then `accounts` stored.
 */
export async function resetNotices(t: TestApp, accounts: Record<string, unknown>[]) {
  await t.deps.notices.exposures.flush();
  await t.deps.db.execute(sql`truncate campaigns, accounts cascade`);
  t.deps.notices.catalog.invalidate();
  t.clock.set('2026-03-02T09:00:00Z');
  const stored = await t.request('/v1/accounts/batch', { method: 'POST', json: { accounts } });
  expect(stored.status).toBeLessThan(300);
}

/** Creates a campaign and lets this instance's notices see it at once; returns it. */
export async function publishCampaign(t: TestApp, campaign: Record<string, unknown>) {
  const created = await createCampaign(t, campaign);
  t.deps.notices.catalog.invalidate();
  return created;
}

/** A token for `account`'s page, minted with an app key as the product's backend would. */
export async function accountToken(t: TestApp, account = 'acme'): Promise<string> {
  const key = await t.keyFor('app');
  const response = await t.request(`/v1/accounts/${account}/token`, { method: 'POST', key });
  expect(response.status).toBe(201);
  return (await readJson(response)).token;
}

/**
 * acme, using the API component, shown a banner (a published warning to every account unless
 * `banner` says otherwise); with a token for acme's page to show it on.
 */
export async function bannerForAcme(t: TestApp, banner: Record<string, unknown>) {
  const account = await t.request('/v1/accounts/acme', {
    method: 'PUT',
    json: { components: ['API'] },
  });
  expect(account.status).toBeLessThan(300);
  const campaign = await publishCampaign(t, {
    channels: ['banner'],
    severity: 'warning',
    audience: { type: 'all' },
    publish: true,
    ...banner,
  });
  return { campaign, token: await accountToken(t) };
}
