import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleClient } from '../helpers/console-client';
import { startTestApp, type TestApp } from '../helpers/test-app';

describe("the campaign form's linked-event choices", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { WORKSPACE_TIME_ZONE: 'America/New_York' } });
  });
  afterAll(() => t.close());

  const choicesOn = async (path: string, wanted: (label: string) => boolean) => {
    const ops = consoleClient(t);
    await ops.signIn(await t.keyFor('ops'));
    const form = await (await ops.get(path)).text();
    return [...form.matchAll(/<option value="[^"]+"[^>]*>([^<]*)<\/option>/g)]
      .map((m) => m[1] ?? '')
      .filter(wanted);
  };

  it('tells events of one title apart by their start day, in their zone, and says which repeat', async () => {
    // A holidays import gives every year's Christmas the same title.
    const holidays = await t.request('/v1/events/holidays', {
      method: 'POST',
      json: { country: 'US', years: [2026, 2027] },
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

    const choices = await choicesOn(
      '/console/campaigns/new',
      (label) => label.startsWith('Christmas Day (US)') || label.startsWith('Monthly'),
    );
    expect(choices).toEqual([
      'Christmas Day (US), 2026-12-25',
      'Christmas Day (US), 2027-12-25',
      'Monthly billing, repeats from 2026-01-31',
    ]);
  });

  it('leaves out one-off events long over, unless the campaign is linked to one', async () => {
    // The test clock reads 2026-03-02: ten years of imported holidays are mostly the past.
    const holidays = await t.request('/v1/events/holidays', {
      method: 'POST',
      json: { country: 'US', years: [2017, 2018, 2019, 2020, 2021, 2022, 2023, 2024, 2025] },
    });
    expect(holidays.status).toBe(200);
    const recent = await t.request('/v1/events', {
      method: 'POST',
      json: {
        kind: 'outage',
        title: 'Login outage',
        starts_at: '2026-02-20T10:00:00Z',
        ends_at: '2026-02-20T12:00:00Z',
      },
    });
    expect(recent.status).toBe(201);
    const isHolidayOrOutage = (label: string) =>
      label.startsWith('Independence Day (US)') || label.startsWith('Login outage');
    expect(await choicesOn('/console/campaigns/new', isHolidayOrOutage)).toEqual([
      'Independence Day (US), 2026-07-04',
      'Independence Day (US), 2027-07-04',
      'Login outage, 2026-02-20',
    ]);

    const list = await t.request('/v1/events?kind=holiday&limit=200');
    const past = (
      (await list.json()) as { data: { id: string; title: string; starts_at: string }[] }
    ).data.find((e) => e.title.startsWith('Independence Day') && e.starts_at.startsWith('2019'));
    expect(past).toBeDefined();
    const campaign = await t.request('/v1/campaigns', {
      method: 'POST',
      json: {
        channels: ['banner'],
        title: 'Closed for the holiday',
        body: 'We are back tomorrow.',
        severity: 'maintenance',
        audience: { type: 'all' },
        event_id: past?.id,
      },
    });
    expect(campaign.status).toBe(201);
    const { id } = (await campaign.json()) as { id: string };
    expect(await choicesOn(`/console/campaigns/${id}/edit`, isHolidayOrOutage)).toEqual([
      'Independence Day (US), 2019-07-04',
      'Independence Day (US), 2026-07-04',
      'Independence Day (US), 2027-07-04',
      'Login outage, 2026-02-20',
    ]);
  });
});
