import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendReportDigest } from '../../../src/modules/reports/report-digest.service';
import { createCampaign } from '../../helpers/campaigns';
import { consoleClient } from '../../helpers/console-client';
import { startPacedApp } from '../../helpers/paced-app';
import { readJson } from '../../helpers/read-json';
import { ingestAll } from '../../helpers/tickets';
import { weeklyHistory } from '../../helpers/weekly-history';

const DAY_MS = 86_400_000;
const PLANNED_START = '2026-03-02T09:00:00.000Z';
/** Ops created and published it a week and five hours after the start it was given. */
const PUBLISHED = '2026-03-09T14:00:00.000Z';
const ENDS = '2026-03-16T09:00:00.000Z';
/** Its end plus the 14-day after-window (IMPACT_WINDOW_DAYS' default). */
const WINDOW_END = '2026-03-30T09:00:00.000Z';
const NOTE = 'published 7 days after its planned start; measured from publication';

const paced = await startPacedApp(40, { env: { REPORT_DIGEST_TO: 'lead@example.com' } });

/**
 * A campaign published with a start already in the past showed nothing before it was
 * published: it is measured from its publication, not its planned start, and the impact API
 * and the report say so.
 */
describe('a back-dated campaign', { timeout: paced.timeout }, () => {
  const t = paced.t;
  let analystKey: string;
  let campaignId: string;
  const created: string[] = [];
  beforeAll(async () => {
    analystKey = await t.keyFor('analyst');
    await t.request('/v1/reasons/billing', { method: 'PUT', json: { label: 'Billing' } });
    // About 30 billing contacts a week, before and after, from more than the year the
    // estimate needs.
    const history = weeklyHistory({
      from: '2025-01-06',
      to: '2026-03-23',
      perWeek: (week) => 28 + ((week * 3) % 5),
      accountOf: (k) => `a-${k}`,
    });
    created.push(...history.map((ticket) => ticket.created_at));
    t.clock.set('2026-04-06T00:00:00Z');
    await ingestAll(t, history);
    t.clock.set(PUBLISHED);
    const campaign = await createCampaign(t, {
      channels: ['banner'],
      title: 'New invoice layout',
      target_reasons: ['billing'],
      starts_at: PLANNED_START,
      ends_at: ENDS,
    });
    campaignId = campaign.id;
    t.clock.set('2026-04-06T00:00:00Z');
  }, paced.hookTimeout);
  afterAll(() => t.close());

  const report = (period: string, format = 'json') =>
    t.request(`/v1/reports/prevented-contacts?${period}&format=${format}`, { key: analystKey });

  it('is measured from its publication by the impact API and its console page, which say so', async () => {
    const impact = await readJson(
      await t.request(`/v1/campaigns/${campaignId}/impact`, { key: analystKey }),
    );
    expect(impact.exposure).toEqual({ measured_from: PUBLISHED, ends_at: ENDS, note: NOTE });
    const windowDays = (Date.parse(WINDOW_END) - Date.parse(PUBLISHED)) / DAY_MS;
    expect(impact.window).toMatchObject({
      ends_at: WINDOW_END,
      planned_days: windowDays,
      elapsed_days: windowDays,
    });
    // The contacts of the week before its publication are not laid at its door.
    const afterPublication = created.filter((at) => at >= PUBLISHED && at < WINDOW_END).length;
    const fromPlannedStart = created.filter((at) => at >= PLANNED_START && at < WINDOW_END).length;
    expect(afterPublication).toBeLessThan(fromPlannedStart);
    expect(impact.observational).toMatchObject({ status: 'ok', observed: afterPublication });

    const analyst = consoleClient(t);
    await analyst.signIn(analystKey);
    const page = await analyst.get(`/console/campaigns/${campaignId}/impact`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain(`It was ${NOTE}.`);
  });

  it('is in the report from its publication, which says so in JSON, CSV, HTML and the digest', async () => {
    const march = 'from=2026-03-02&to=2026-03-29';
    const json = await readJson(await report(march));
    expect(json.campaigns).toHaveLength(1);
    expect(json.campaigns[0]).toMatchObject({
      id: campaignId,
      starts_at: PLANNED_START,
      exposure: { measured_from: PUBLISHED, ends_at: ENDS, note: NOTE },
    });
    const csv: Record<string, string>[] = parse(await (await report(march, 'csv')).text(), {
      columns: true,
    });
    expect(csv.find((row) => row.section === 'campaign' && row.key === campaignId)?.note).toBe(
      NOTE,
    );
    expect(await (await report(march, 'html')).text()).toContain(NOTE);
    // The digest of the week it was published in.
    expect((await sendReportDigest(t.deps, new Date('2026-03-16T07:00:00Z')))?.kind).toBe(
      'accepted',
    );
    const outbox = await readJson(await t.request('/v1/outbox?limit=10'));
    const [digest] = outbox.data.filter((m: { campaign_id: string | null }) => !m.campaign_id);
    expect(digest.text.replace(/\s+/g, ' ')).toContain(NOTE);
    // A period that ends before its publication holds its planned start, but nothing it did.
    expect((await readJson(await report('from=2026-02-23&to=2026-03-08'))).campaigns).toEqual([]);
  });

  it('published hours after a start the same day says hours', async () => {
    t.clock.set('2026-04-06T14:00:00Z');
    const sameDay = await createCampaign(t, {
      channels: ['banner'],
      title: 'Payments delayed',
      starts_at: '2026-04-06T09:00:00Z',
    });
    const impact = await readJson(
      await t.request(`/v1/campaigns/${sameDay.id}/impact`, { key: analystKey }),
    );
    expect(impact.exposure).toEqual({
      measured_from: '2026-04-06T14:00:00.000Z',
      ends_at: null,
      note: 'published 5 hours after its planned start; measured from publication',
    });
  });
});
