import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleClient } from '../helpers/console-client';
import { startTestApp, type TestApp } from '../helpers/test-app';

/** Texts that name what every object inherits; contact reasons come from other systems. */
const INHERITED_NAMES = ['__proto__', 'constructor', 'toString', 'hasOwnProperty'];

/** Keys an empty object shows to `for…in`: none, unless Object.prototype was written to. */
const inheritedKeys = () => {
  const keys: string[] = [];
  for (const key in {}) keys.push(key);
  return keys;
};

describe('console charts of reasons named like inherited properties', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
    t.clock.set('2026-03-02T09:00:00Z');
    const tickets = INHERITED_NAMES.flatMap((reason, r) =>
      Array.from({ length: 12 }, (_, week) => ({
        source: 'zendesk',
        external_id: `${r}-${week}`,
        reason,
        created_at: new Date(Date.UTC(2025, 11, 1) + week * 7 * 86_400_000).toISOString(),
      })),
    );
    const ingest = await t.request('/v1/tickets', { method: 'POST', json: { tickets } });
    expect(ingest.status).toBe(200);
    await t.settle();
  });
  afterAll(() => t.close());

  it('draws every chart page and leaves Object.prototype as it was', async () => {
    const browser = consoleClient(t);
    await browser.signIn(t.adminKey);
    for (const path of ['/console/reasons', '/console/reports', '/console', '/console/spikes']) {
      const page = await browser.get(path);
      expect(page.status, path).toBe(200);
      if (path === '/console/reasons') expect(await page.text()).toContain('__proto__');
      expect(inheritedKeys(), path).toEqual([]);
    }
    // Every later answer still goes out (a written prototype broke each one with headers).
    expect((await t.request('/v1/reasons')).status).toBe(200);
    expect((await browser.get('/console/accounts')).status).toBe(200);
  });
});
