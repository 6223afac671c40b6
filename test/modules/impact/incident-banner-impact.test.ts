import { parse } from 'csv-parse/sync';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rowsOf } from '../../../src/db/json-param';
import { measureAndStore } from '../../../src/modules/impact/stored-measurements';
import { sendReportDigest } from '../../../src/modules/reports/report-digest.service';
import { createCampaign } from '../../helpers/campaigns';
import { consoleClient } from '../../helpers/console-client';
import { readJson } from '../../helpers/read-json';
import { startTestApp, type TestApp } from '../../helpers/test-app';
import { ingestAll } from '../../helpers/tickets';
import { weeklyHistory } from '../../helpers/weekly-history';

/** The manual banner's week: history before it, ordinary weeks after it too. */
const MANUAL_MONDAY = '2026-03-02';
const MANUAL_STARTS = '2026-03-02T09:00:00.000Z';
const MANUAL_ENDS = '2026-03-03T09:00:00.000Z';
/** A Tuesday: the billing page goes down, and customers write about it until it is fixed. */
const OPENED = '2026-03-31T09:00:00.000Z';
const RESOLVED = '2026-04-01T09:00:00.000Z';
const SURGE = 150;
const REFUSAL =
  'an incident’s banner answers the contacts the incident itself brings: without a holdout, ' +
  'its effect cannot be told from the incident’s';

/**
 * An incident's banner holds no one out, and its window holds the incident's own contacts,
 * the reason it exists: what the weeks before predict, less what came, measures the incident,
 * not the banner. No observational estimate is given for it, in the impact API, the job's
 * stored measurement, the report and its total, the digest or the console; a manual
 * campaign's estimate stays.
 */
describe('an incident’s banner', () => {
  let t: TestApp;
  let analystKey: string;
  let manualId: string;
  let bannerId: string;
  const account = (_k: number, id: string) => `a-${id.length % 10}`;
  /** About 21 billing contacts a week, Monday to Friday at 01:00. */
  const history = weeklyHistory({
    from: '2025-01-06',
    to: '2026-03-30',
    perWeek: (week) => 20 + (week % 4),
    accountOf: account,
  });

  beforeAll(async () => {
    t = await startTestApp({ env: { REPORT_DIGEST_TO: 'lead@example.com' } });
    analystKey = await t.keyFor('analyst');
    await t.request('/v1/reasons/billing', { method: 'PUT', json: { label: 'Billing' } });
    t.clock.set('2026-03-02T08:00:00Z');
    await ingestAll(
      t,
      history.filter((ticket) => ticket.created_at < MANUAL_MONDAY),
    );
    t.clock.set(MANUAL_STARTS);
    const manual = await createCampaign(t, {
      channels: ['banner'],
      title: 'Invoices explained',
      target_reasons: ['billing'],
      holdout_percent: 0,
      starts_at: MANUAL_STARTS,
      ends_at: MANUAL_ENDS,
    });
    manualId = manual.id;

    t.clock.set(OPENED);
    const opened = await t.request('/v1/status/incidents', {
      method: 'POST',
      json: { name: 'Billing page down', impact: 'major', body: 'Invoices do not load.' },
    });
    expect(opened.status).toBe(201);
    const incident = await readJson(opened);
    const listed = await readJson(await t.request('/v1/campaigns?limit=100'));
    bannerId = listed.data.find(
      (c: { origin_id: string | null }) => c.origin_id === incident.id,
    )?.id;
    expect(bannerId).toBeDefined();
    t.clock.set(RESOLVED);
    expect(
      (
        await t.request(`/v1/status/incidents/${incident.id}/updates`, {
          method: 'POST',
          json: { status: 'resolved', body: 'Fixed.' },
        })
      ).status,
    ).toBe(200);

    // The ordinary weeks since, and the incident's surge, in the day it lasted.
    t.clock.set('2026-04-03T09:00:00Z');
    const opensAt = Date.parse(OPENED);
    const surge = Array.from({ length: SURGE }, (_, k) => ({
      source: 'log',
      external_id: `surge-${k}`,
      account_id: account(k, `surge-${k}`),
      reason: 'Billing',
      created_at: new Date(opensAt + 60_000 + k * 9 * 60_000).toISOString(),
    }));
    await ingestAll(t, [
      ...history.filter((ticket) => ticket.created_at >= MANUAL_MONDAY),
      ...surge,
    ]);
    await t.settle();
  });
  afterAll(() => t.close());

  it('has no observational estimate: the impact API, the stored measurement and the console say why', async () => {
    const impact = await readJson(
      await t.request(`/v1/campaigns/${bannerId}/impact`, { key: analystKey }),
    );
    expect(impact.method).toBe('observational');
    expect(impact.observational).toEqual({ status: 'insufficient_data', reason: REFUSAL });

    // The manual campaign, before the incident, keeps its estimate.
    const manual = await readJson(
      await t.request(`/v1/campaigns/${manualId}/impact`, { key: analystKey }),
    );
    expect(manual.observational.status).toBe('ok');

    expect(await measureAndStore(t.deps, t.clock.now())).toBeGreaterThanOrEqual(1);
    const stored = rowsOf<{ observational: unknown }>(
      await t.deps.db.execute(
        sql`select observational from campaign_measurements where campaign_id = ${bannerId}`,
      ),
    );
    expect(stored.map((row) => row.observational)).toEqual([
      { status: 'insufficient_data', reason: REFUSAL },
    ]);

    const analyst = consoleClient(t);
    await analyst.signIn(analystKey);
    const page = await analyst.get(`/console/campaigns/${bannerId}/impact`);
    expect(page.status).toBe(200);
    const text = (await page.text())
      .replace(/<[^>]+>/g, ' ')
      .replace(/\s+/g, ' ')
      .replaceAll('&#39;', "'");
    expect(text).toContain(`No number: ${REFUSAL}`);
  });

  it('is left out of the report’s observational total, which says why in JSON, CSV, page and digest', async () => {
    const period = 'from=2026-03-02&to=2026-04-03';
    const get = (format: string) =>
      t.request(`/v1/reports/prevented-contacts?${period}&format=${format}`, { key: analystKey });
    const report = await readJson(await get('json'));
    const campaign = (id: string) => report.campaigns.find((c: { id: string }) => c.id === id);
    expect(campaign(bannerId)).toMatchObject({ prevented: null, reason: REFUSAL });
    const manual = campaign(manualId);
    expect(manual.prevented).not.toBeNull();
    expect(report.totals.observational_overlapping).toBe(0);
    // The total is the manual campaign's estimate alone.
    expect(report.totals.prevented_observational.estimate).toBe(manual.prevented.estimate);

    const csv: Record<string, string>[] = parse(await (await get('csv')).text(), {
      columns: true,
    });
    expect(csv.find((row) => row.section === 'campaign' && row.key === bannerId)).toMatchObject({
      prevented: '',
      why_no_estimate: REFUSAL,
    });
    const read = (html: string) =>
      html
        .replace(/<[^>]+>/g, ' ')
        .replace(/\s+/g, ' ')
        .replaceAll('&#39;', "'");
    expect(read(await (await get('html')).text())).toContain(REFUSAL);

    // The digest of the incident's week says it beside the banner.
    expect((await sendReportDigest(t.deps, new Date('2026-04-06T07:00:00Z')))?.kind).toBe(
      'accepted',
    );
    const outbox = await readJson(await t.request('/v1/outbox?limit=10'));
    const [digest] = outbox.data.filter((m: { campaign_id: string | null }) => !m.campaign_id);
    expect(read(digest.text)).toContain(REFUSAL);
  });

  it('has none for a maintenance’s banner either', async () => {
    const scheduled = await readJson(
      await t.request('/v1/status/maintenances', {
        method: 'POST',
        json: {
          name: 'Billing upgrade',
          body: 'Invoices are read-only for two hours.',
          scheduled_for: '2026-04-07T02:00:00Z',
          scheduled_until: '2026-04-07T04:00:00Z',
          components: [],
        },
      }),
    );
    const listed = await readJson(await t.request('/v1/campaigns?limit=100'));
    const banner = listed.data.find(
      (c: { origin_id: string | null }) => c.origin_id === scheduled.id,
    );
    expect(banner.origin).toBe('maintenance');
    t.clock.set('2026-04-08T09:00:00Z');
    const impact = await readJson(
      await t.request(`/v1/campaigns/${banner.id}/impact`, { key: analystKey }),
    );
    expect(impact.observational).toEqual({
      status: 'insufficient_data',
      reason:
        'a maintenance’s banner answers the contacts the maintenance itself brings: without a ' +
        'holdout, its effect cannot be told from the maintenance’s',
    });
  });
});
