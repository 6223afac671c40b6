import { expect } from 'vitest';
import { type JsonBody, readJson } from './read-json';
import type { TestApp } from './test-app';

/**
 * Creates a campaign through POST /v1/campaigns, which must accept it, and returns the campaign
 * it answers. Published to every account unless `fields` say otherwise, because nearly every
 * test sets up a campaign that runs; the API's own defaults are tested in test/modules/campaigns.
 */
export async function createCampaign(
  t: TestApp,
  fields: Record<string, unknown>,
  options: { key?: string } = {},
): Promise<JsonBody> {
  const response = await t.request('/v1/campaigns', {
    method: 'POST',
    json: { audience: { type: 'all' }, publish: true, ...fields },
    key: options.key,
  });
  expect(response.status, await response.clone().text()).toBe(201);
  return readJson(response);
}
