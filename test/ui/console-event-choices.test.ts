import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCampaign } from '../helpers/campaigns';
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
    const { id } = await createCampaign(t, {
      channels: ['banner'],
      title: 'Closed for the holiday',
      body: 'We are back tomorrow.',
      severity: 'maintenance',
      event_id: past?.id,
      publish: false,
    });
    expect(await choicesOn(`/console/campaigns/${id}/edit`, isHolidayOrOutage)).toEqual([
      'Independence Day (US), 2019-07-04',
      'Independence Day (US), 2026-07-04',
      'Independence Day (US), 2027-07-04',
      'Login outage, 2026-02-20',
    ]);
  });

  it('leaves out series whose last start is long over, by their rule and their extra starts', async () => {
    // The test clock reads 2026-03-02: 30 days back is 2026-01-31.
    const series = [
      ['Ended weekly', '2025-10-01T10:00:00Z', 'FREQ=WEEKLY;UNTIL=20251201T000000Z', []],
      ['Ended count', '2025-06-01T10:00:00Z', 'FREQ=DAILY;COUNT=3', []],
      ['Ended lately', '2026-01-01T10:00:00Z', 'FREQ=WEEKLY;UNTIL=20260220T000000Z', []],
      ['Extra long ago', '2024-01-10T10:00:00Z', 'FREQ=YEARLY;COUNT=1', ['2024-05-01T10:00:00Z']],
      ['Extra lately', '2024-01-10T10:00:00Z', 'FREQ=YEARLY;COUNT=1', ['2026-02-15T10:00:00Z']],
      ['Still weekly', '2020-01-06T10:00:00Z', 'FREQ=WEEKLY', []],
    ] as const;
    for (const [title, startsAt, rrule, extraStarts] of series) {
      const created = await t.request('/v1/events', {
        method: 'POST',
        json: {
          kind: 'billing_run',
          title,
          starts_at: startsAt,
          ends_at: startsAt.replace('T10:', 'T11:'),
          rrule,
          extra_starts: extraStarts,
        },
      });
      expect(created.status).toBe(201);
    }
    const titles = new Set<string>(series.map(([title]) => title));
    const choices = await choicesOn('/console/campaigns/new', (label) =>
      titles.has(label.split(',')[0] ?? ''),
    );
    expect(choices).toEqual([
      'Ended lately, repeats from 2026-01-01',
      'Extra lately, repeats from 2024-01-10',
      'Still weekly, repeats from 2020-01-06',
    ]);
  });
});
