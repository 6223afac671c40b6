import { sql } from 'drizzle-orm';
import { expect } from 'vitest';
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
export async function publishCampaign(t: TestApp, campaign: unknown) {
  const response = await t.request('/v1/campaigns', { method: 'POST', json: campaign });
  expect(response.status).toBe(201);
  t.deps.notices.catalog.invalidate();
  return readJson(response);
}
