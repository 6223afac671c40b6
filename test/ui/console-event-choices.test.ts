import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleClient } from '../helpers/console-client';
import { startTestApp, type TestApp } from '../helpers/test-app';

describe("the campaign form's linked-event choices", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { WORKSPACE_TIME_ZONE: 'America/New_York' } });
  });
  afterAll(() => t.close());

  it('tells events of one title apart by their start day, in their zone, and says which repeat', async () => {
    // A holidays import gives every year's Christmas the same title.
    const holidays = await t.request('/v1/events/holidays', {
      method: 'POST',
      json: { country: 'US', years: [2025, 2026] },
    });
    expect(holidays.status).toBe(200);
    const billing = await t.request('/v1/events', {
      method: 'POST',
      json: {
        kind: 'billing_run',
        title: 'Monthly billing',
        // 02:00Z on the 1st is still the evening of the 31st in New York.
        starts_at: '2026-02-01T02:00:00Z',
        ends_at: '2026-02-01T03:00:00Z',
        rrule: 'FREQ=MONTHLY',
      },
    });
    expect(billing.status).toBe(201);

    const ops = consoleClient(t);
    await ops.signIn(await t.keyFor('ops'));
    const form = await (await ops.get('/console/campaigns/new')).text();
    const choices = [...form.matchAll(/<option value="[^"]+"[^>]*>([^<]*)<\/option>/g)]
      .map((m) => m[1])
      .filter((label) => label?.startsWith('Christmas Day') || label?.startsWith('Monthly'));
    expect(choices).toEqual([
      'Christmas Day (US), 2025-12-25',
      'Christmas Day (US), 2026-12-25',
      'Monthly billing, repeats from 2026-01-31',
    ]);
  });
});
