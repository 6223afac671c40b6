import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isHeldOut } from '../../../src/modules/campaigns/holdout';
import { sendReportDigest } from '../../../src/modules/reports/report-digest.service';
import { createCampaign } from '../../helpers/campaigns';
import { readJson } from '../../helpers/read-json';
import { startTestApp, type TestApp } from '../../helpers/test-app';

const ACCOUNTS = 600;
const NO_ESTIMATE = 'No campaign measured against a holdout in this period';
/** The page's or email's words, without markup, as a reader sees them. */
const read = (text: string) =>
  text
    .replace(/<[^>]+>/g, ' ')
    .replaceAll('&#39;', "'")
    .replace(/\s+/g, ' ');

/**
 * A period with no campaign in the net total has no estimate, not an exact zero; and one whose
 * net total's interval holds zero reads, on the page, as not distinguishable from no effect,
 * in the words of the console's impact page.
 */
describe('the report when the net total is no estimate or no distinguishable effect', () => {
  let t: TestApp;
  let analystKey: string;
  beforeAll(async () => {
    t = await startTestApp({ env: { REPORT_DIGEST_TO: 'lead@example.com' } });
    analystKey = await t.keyFor('analyst');
    const appKey = await t.keyFor('app');
    await t.request('/v1/reasons/billing', {
      method: 'PUT',
      json: { label: 'Billing' },
    });
    await t.request('/v1/accounts/batch', {
      method: 'POST',
      json: {
        accounts: Array.from({ length: ACCOUNTS }, (_, i) => ({
          id: `a-${i}`,
        })),
      },
    });
    const campaign = await createCampaign(t, {
      channels: ['banner'],
      title: 'Billing banner that changed nothing',
      target_reasons: ['billing'],
      holdout_percent: 20,
      starts_at: '2026-03-02T09:00:00Z',
      ends_at: '2026-03-09T09:00:00Z',
    });
    for (let i = 0; i < ACCOUNTS; i++) {
      await t.request(`/v1/accounts/a-${i}/notices`, { key: appKey });
    }
    await t.deps.notices.exposures.flush();
    // Every third account of each group by rank within it contacts billing: the same rate in
    // both groups, whichever accounts the campaign's id holds out.
    const rank = { treated: 0, holdout: 0 };
    const tickets: Record<string, string>[] = [];
    for (let i = 0; i < ACCOUNTS; i++) {
      const group = isHeldOut(campaign.id, `a-${i}`, 20) ? 'holdout' : 'treated';
      if (rank[group]++ % 3 === 0) {
        tickets.push({
          source: 'test',
          external_id: `c-${i}`,
          account_id: `a-${i}`,
          reason: 'Billing',
          created_at: '2026-03-04T10:00:00Z',
        });
      }
    }
    t.clock.set('2026-03-30T00:00:00Z');
    expect((await t.request('/v1/tickets', { method: 'POST', json: { tickets } })).status).toBe(
      200,
    );
    await t.settle();
  }, 120_000);
  afterAll(() => t.close());

  const get = (query: string) =>
    t.request(`/v1/reports/prevented-contacts?${query}`, { key: analystKey });

  it('gives no estimate, not a zero, for a period with no campaign in the net total', async () => {
    const period = 'from=2026-11-30&to=2026-12-04';
    const report = await readJson(await get(period));
    expect(report.totals.campaigns).toBe(0);
    expect(report.totals).toMatchObject({
      prevented: null,
      savings_cents: null,
      target_prevented: null,
      shifted: null,
      deflection_rate: null,
    });

    const rows: Record<string, string>[] = parse(await (await get(`${period}&format=csv`)).text(), {
      columns: true,
    });
    expect(rows.find((r) => r.section === 'total')).toMatchObject({
      method: '',
      prevented: '',
      prevented_low: '',
      prevented_high: '',
      savings_cents: '',
      savings_low_cents: '',
      savings_high_cents: '',
      target_prevented: '',
      shifted: '',
      why_no_estimate: NO_ESTIMATE,
    });

    const tiles = read(await (await get(`${period}&format=html`)).text());
    expect(tiles).toContain(NO_ESTIMATE);
    expect(tiles).not.toContain('(95%: 0 to 0)');
    expect(tiles).not.toContain('$0.00 to $0.00');
    // What the page said of an empty period before, still said.
    expect(tiles).toContain("No savings to chart: no published campaign's measurement window");

    expect((await sendReportDigest(t.deps, new Date('2026-12-07T07:00:00Z')))?.kind).toBe(
      'accepted',
    );
    const outbox = await readJson(await t.request('/v1/outbox?limit=10'));
    const [digest] = outbox.data.filter((m: { campaign_id: string | null }) => !m.campaign_id);
    expect(digest.subject).toBe(`Prevented contacts, 2026-11-30 to 2026-12-06: ${NO_ESTIMATE}`);
    const text = read(digest.text);
    expect(text).toContain(NO_ESTIMATE);
    expect(text).not.toContain('0 to 0');
    expect(text).not.toContain('$0.00');
    expect(text).toContain('No campaign was measured in this period.');
  });

  it('reads savings and deflection whose interval holds zero as not distinguishable from none, as the impact page does', async () => {
    const period = 'from=2026-03-02&to=2026-03-22';
    const report = await readJson(await get(period));
    const { prevented, savings_cents: saved } = report.totals;
    expect(prevented.low).toBeLessThan(0);
    expect(prevented.high).toBeGreaterThan(0);
    const money = (cents: number) =>
      new Intl.NumberFormat('en', {
        style: 'currency',
        currency: 'USD',
      }).format(cents / 100);
    const page = await (await get(`${period}&format=html`)).text();
    const tiles = read(
      page.slice(page.indexOf('aria-label="Totals"'), page.indexOf('<h2>Campaigns')),
    );
    const savedRange = `${money(saved.low)} to ${money(saved.high)}`;
    expect(tiles).toContain(
      `saved: not distinguishable from ${money(0)} (${savedRange}), of the 1`,
    );
    expect(tiles).toMatch(
      /deflection rate: not distinguishable from none: its estimate of -?[\d.]+% is not an achieved result, its 95% interval runs from (-?[\d.]+%|unbounded below) to [\d.]+%, of the 1/,
    );
    expect(page).not.toContain(`<b>${money(saved.estimate)}</b>`);
    expect(tiles).toContain(
      `net contacts prevented, every reason: not distinguishable from no effect: the 95% interval runs from`,
    );

    const campaigns = read(page.slice(page.indexOf('<h2>Campaigns'), page.indexOf('<h2>Reasons')));
    const [campaign] = report.campaigns;
    expect(campaigns).toContain(
      `not distinguishable from ${money(0)} (${money(campaign.savings_cents.low)} to ` +
        `${money(campaign.savings_cents.high)})`,
    );
    expect(campaigns).toContain('not distinguishable from none');
    // The campaign's interval, to a tenth, in the words of the totals: on the page's row and
    // in the digest's.
    const tenth = (n: number) =>
      n.toLocaleString('en', { minimumFractionDigits: 1, maximumFractionDigits: 1 });
    const range =
      'not distinguishable from no effect: the 95% interval runs from ' +
      `${tenth(campaign.prevented.low)} to ${tenth(campaign.prevented.high)}`;
    expect(campaigns).toContain(range);

    // The digest of the campaign's week says the same of its figures.
    expect((await sendReportDigest(t.deps, new Date('2026-03-09T07:00:00Z')))?.kind).toBe(
      'accepted',
    );
    const outbox = await readJson(await t.request('/v1/outbox?limit=10'));
    const digest = outbox.data.find((m: { subject: string }) =>
      m.subject.startsWith('Prevented contacts, 2026-03-02 to 2026-03-08'),
    );
    expect(digest.subject).toMatch(
      /: -?[\d,]+ over the campaigns' whole measurement windows \(not distinguishable from no effect\)$/,
    );
    const text = read(digest.text);
    expect(text).toMatch(
      /Net contacts prevented, every reason, measured against holdouts: 1 of 1 campaign, over its whole measurement window -?[\d,]+: not distinguishable from no effect: the 95% interval runs from/,
    );
    expect(text).toContain(`${tenth(campaign.prevented.estimate)}: ${range}`);
    // And the CSV, for whoever reads it there.
    const rows: Record<string, string>[] = parse(await (await get(`${period}&format=csv`)).text(), {
      columns: true,
    });
    expect(rows.find((r) => r.section === 'campaign')?.prevented_text).toBe(
      `${tenth(campaign.prevented.estimate)}: ${range}`,
    );
    expect(text).toMatch(
      /Saved, of the 1 campaign in the net total not distinguishable from \$0\.00 \(/,
    );
    expect(text).toContain(
      'Deflection rate, of the 1 campaign in the net total not distinguishable from none: its estimate of',
    );
  });
});
