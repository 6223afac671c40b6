import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendReportDigest } from '../../../src/modules/reports/report-digest.service';
import { formatCount } from '../../../src/modules/reports/report-format';
import { createCampaign } from '../../helpers/campaigns';
import { readJson } from '../../helpers/read-json';
import { startTestApp, type TestApp } from '../../helpers/test-app';

const ACCOUNTS = 40;
const monday = (week: number) =>
  new Date(Date.parse('2025-06-02T00:00:00Z') + week * 7 * 86_400_000);
const day = (week: number, days = 0) =>
  new Date(monday(week).getTime() + days * 86_400_000).toISOString().slice(0, 10);

/**
 * A campaign without a holdout has an observational estimate, kept out of the totals. The
 * report page shows their sum apart, labelled; the emailed digest shows the same figure in the
 * same words, with the same caveat.
 */
describe('the observational sum in the digest', () => {
  let t: TestApp;
  let analystKey: string;
  beforeAll(async () => {
    t = await startTestApp({ env: { REPORT_DIGEST_TO: 'lead@example.com' } });
    analystKey = await t.keyFor('analyst');
    await t.request('/v1/reasons/billing', { method: 'PUT', json: { label: 'Billing' } });
    await t.request('/v1/accounts/batch', {
      method: 'POST',
      json: { accounts: Array.from({ length: ACCOUNTS }, (_, i) => ({ id: `a-${i}` })) },
    });
    t.clock.set(monday(58));
    await createCampaign(t, {
      channels: ['banner'],
      title: 'Invoices explained',
      target_reasons: ['billing'],
      holdout_percent: 0,
      starts_at: monday(60).toISOString(),
      ends_at: monday(61).toISOString(),
    });
    // 63 weeks of billing contacts, 40 a week with a small wobble, 20 fewer in week 60: history
    // enough for an observational estimate of the campaign.
    const tickets: Record<string, string>[] = [];
    for (let week = 0; week < 63; week++) {
      const count = 40 + ((week * 3) % 5) - 2 - (week === 60 ? 20 : 0);
      for (let k = 0; k < count; k++) {
        tickets.push({
          source: 'history',
          external_id: `${week}-${k}`,
          account_id: `a-${k % ACCOUNTS}`,
          reason: 'Billing',
          created_at: new Date(
            monday(week).getTime() + (k % 5) * 86_400_000 + 3_600_000,
          ).toISOString(),
        });
      }
    }
    t.clock.set(monday(64));
    expect((await t.request('/v1/tickets', { method: 'POST', json: { tickets } })).status).toBe(
      200,
    );
    await t.settle();
  });
  afterAll(() => t.close());

  it('says, as the page does, what the campaigns without a holdout prevented, and that it is observational', async () => {
    const period = `from=${day(60)}&to=${day(60, 6)}`;
    const get = (format: string) =>
      t.request(`/v1/reports/prevented-contacts?${period}&format=${format}`, { key: analystKey });
    const report = await readJson(await get('json'));
    const observed = report.totals.prevented_observational;
    expect(observed).not.toBeNull();
    const figure =
      'Campaigns without a holdout (observational estimates, not in the totals): ' +
      `${formatCount(observed.estimate)} contacts (${formatCount(observed.low)} to ` +
      `${formatCount(observed.high)})`;
    const caveat =
      'A campaign without a holdout has an observational estimate instead, of its target ' +
      'reasons, with an interval from simulation, not one that stays valid however often it ' +
      'is read.';
    const read = (text: string) => text.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');
    const page = read((await (await get('html')).text()).replaceAll('&#39;', "'"));
    expect(page).toContain(figure);
    expect(page).toContain(caveat);

    expect((await sendReportDigest(t.deps, new Date(`${day(61)}T07:00:00Z`)))?.kind).toBe(
      'accepted',
    );
    const outbox = await readJson(await t.request('/v1/outbox?limit=10'));
    const [digest] = outbox.data.filter((m: { campaign_id: string | null }) => !m.campaign_id);
    const text = read(digest.text);
    expect(text).toContain(figure);
    expect(text).toContain(caveat);
  });
});
