import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendReportDigest } from '../../../src/modules/reports/report-digest.service';
import { createCampaign } from '../../helpers/campaigns';
import { readJson } from '../../helpers/read-json';
import { seedReportData } from '../../helpers/report-data';
import { startTestApp, type TestApp } from '../../helpers/test-app';

const PERIOD = 'from=2026-03-01&to=2026-03-28';
type Interval = { estimate: number; low: number; high: number };

/**
 * Two campaigns: a banner measured against its holdout, and one nobody is in the audience of,
 * which has no estimate. Every total is over the first alone; the CSV, the page and the
 * emailed digest say what the JSON says, and which campaigns each total covers.
 */
describe("the report's totals in the CSV, on the page and in the digest", () => {
  let t: TestApp;
  let analystKey: string;
  let campaignId: string;
  beforeAll(async () => {
    t = await startTestApp({ env: { REPORT_DIGEST_TO: 'lead@example.com' } });
    analystKey = await t.keyFor('analyst');
    await t.request('/v1/reasons/billing', { method: 'PUT', json: { label: 'Billing' } });
    // Nobody has this plan: a campaign nobody saw.
    await createCampaign(t, {
      channels: ['banner'],
      title: 'Enterprise price change',
      audience: { type: 'rule', all: [{ attribute: 'plan', op: 'eq', value: 'enterprise' }] },
      target_reasons: ['billing'],
      holdout_percent: 10,
      starts_at: '2026-03-02T09:00:00Z',
      ends_at: '2026-03-09T09:00:00Z',
    });
    // Accounts enough for calibrated target-reason and shifted intervals too.
    ({ campaignId } = await seedReportData(t, 1_200));
  });
  afterAll(() => t.close());

  const get = (query: string) =>
    t.request(`/v1/reports/prevented-contacts?${query}`, { key: analystKey });

  it('carries the intervals of the target-reason and shifted totals, and of each campaign, in the CSV', async () => {
    const report = await readJson(await get(PERIOD));
    const rows: Record<string, string>[] = parse(await (await get(`${PERIOD}&format=csv`)).text(), {
      columns: true,
    });
    const cells = (name: string, value: Interval | null) => ({
      [name]: value === null ? '' : String(value.estimate),
      [`${name}_low`]: value === null ? '' : String(value.low),
      [`${name}_high`]: value === null ? '' : String(value.high),
    });
    const { totals } = report;
    expect(totals.shifted.high).toBeGreaterThan(totals.shifted.low);
    expect(rows.find((r) => r.section === 'total')).toMatchObject({
      ...cells('target_prevented', totals.target_prevented),
      ...cells('shifted', totals.shifted),
    });
    const campaign = report.campaigns.find((c: { id: string }) => c.id === campaignId);
    expect(campaign.lift).not.toBeNull();
    expect(rows.find((r) => r.section === 'campaign' && r.key === campaignId)).toMatchObject({
      ...cells('target_prevented', campaign.target_prevented),
      ...cells('shifted', campaign.shifted),
      ...cells('lift', campaign.lift),
    });
  });

  it("gives a net total of one campaign that campaign's own interval, skewed as it is", async () => {
    const report = await readJson(await get(PERIOD));
    const campaign = report.campaigns.find((c: { id: string }) => c.id === campaignId);
    const { prevented, savings_cents: saved } = campaign;
    expect(campaign.interval_kind).toBe('fixed_horizon');
    // Skew-corrected: not the same distance each side of the estimate.
    expect(
      Math.abs(prevented.high - prevented.estimate - (prevented.estimate - prevented.low)),
    ).toBeGreaterThan(0.5);
    expect(report.totals.prevented).toEqual(prevented);
    expect(report.totals.savings_cents).toEqual(saved);
    expect(report.totals.prevented_so_far).toBe(0);
    const rows: Record<string, string>[] = parse(await (await get(`${PERIOD}&format=csv`)).text(), {
      columns: true,
    });
    const total = rows.find((r) => r.section === 'total');
    expect([total?.prevented_low, total?.prevented_high]).toEqual([
      String(prevented.low),
      String(prevented.high),
    ]);
  });

  it('says in the digest, as on the page, which campaigns each headline figure covers', async () => {
    const week = 'from=2026-03-02&to=2026-03-08';
    const report = await readJson(await get(week));
    expect(report.totals.campaigns).toBe(2);
    const page = (await (await get(`${week}&format=html`)).text()).replaceAll('&#39;', "'");
    const tiles = page.slice(page.indexOf('aria-label="Totals"')).replace(/<[^>]+>/g, ' ');
    const read = (text: string) => text.replace(/\s+/g, ' ');
    expect(read(tiles)).toContain('measured against holdouts: 1 of 2 campaigns');
    expect(read(tiles)).toContain(
      'shifted to other reasons, of the 1 campaign with a target and a net answer',
    );
    expect(read(tiles)).toMatch(/saved \([^)]*\), of the 1 campaign in the net total/);
    expect(read(tiles)).toContain('deflection rate, of the 1 campaign in the net total');
    expect(read(tiles)).toContain('of the 1 campaign in the net total');

    expect((await sendReportDigest(t.deps, new Date('2026-03-09T07:00:00Z')))?.kind).toBe(
      'accepted',
    );
    const outbox = await readJson(await t.request('/v1/outbox?limit=10'));
    const [digest] = outbox.data.filter((m: { campaign_id: string | null }) => !m.campaign_id);
    const text = read(digest.text);
    expect(text).toContain(
      'Net contacts prevented, every reason, measured against holdouts: 1 of 2 campaigns, over ' +
        'its whole measurement window',
    );
    // The figure is the campaigns' whole windows', not the week's: the digest says so, and when
    // each window ran.
    const total = Math.round(report.totals.prevented.estimate).toLocaleString('en');
    expect(digest.subject).toBe(
      `Prevented contacts, 2026-03-02 to 2026-03-08: ${total} over the campaigns' whole ` +
        'measurement windows',
    );
    expect(text).toContain(
      "Prevented contacts, savings, deflection and churn are over the campaigns' whole " +
        'measurement windows (dates below), which may reach outside 2026-03-02 to 2026-03-08: a ' +
        'campaign is counted whole in the digest of every week its window touches, so digests ' +
        'do not add up.',
    );
    expect(text).toContain('ended, holdout, final, over its window 2026-03-02 to 2026-03-23');
    expect(text).toContain(
      'For the target reasons / shifted elsewhere, of the 1 campaign with a target and a net answer',
    );
    expect(text).toContain('Saved, of the 1 campaign in the net total');
    expect(text).toContain('Deflection rate, of the 1 campaign in the net total');
    expect(text).toContain(
      'Churn in the window, treated / held out, of the 1 campaign in the net total',
    );
    expect(text).toContain('Contacts in the period');
  });
});
