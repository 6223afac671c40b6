import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readJson } from '../../helpers/read-json';
import { startTestApp, type TestApp } from '../../helpers/test-app';

describe('Statuspage start_date', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { WORKSPACE_TIME_ZONE: 'Pacific/Auckland' } });
  });
  afterAll(() => t.close());

  it("gives each component the day it was created in the page's time zone, and a group none, as Statuspage does", async () => {
    // 20:00 in UTC on 2 March is 09:00 on 3 March in Auckland.
    t.clock.set('2026-03-02T20:00:00Z');
    const add = async (json: Record<string, unknown>) =>
      readJson(await t.request('/v1/status/components', { method: 'POST', json }));
    const core = await add({ name: 'Core', group: true });
    await add({ name: 'API', group_id: core.id });
    t.clock.set('2026-04-10T13:00:00Z');
    await add({ name: 'Billing' });
    for (const path of ['/api/v2/components.json', '/api/v2/summary.json']) {
      const { page, components } = await readJson(await t.request(path, { key: null }));
      expect(page.time_zone, path).toBe('Pacific/Auckland');
      const startDates = Object.fromEntries(
        components.map((c: { name: string; start_date: string | null }) => [c.name, c.start_date]),
      );
      expect(startDates, path).toEqual({ Core: null, API: '2026-03-03', Billing: '2026-04-11' });
    }
  });
});
