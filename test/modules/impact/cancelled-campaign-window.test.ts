import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { measureCampaignsJob } from '../../../src/modules/jobs/definitions/measure-campaigns.job';
import { sendEmailsJob } from '../../../src/modules/jobs/definitions/send-emails.job';
import { measuredWindows } from '../../../src/modules/reports/weekly-chart-input';
import { accountsWithEmails } from '../../helpers/accounts';
import { createCampaign } from '../../helpers/campaigns';
import { type FakeResend, startFakeResend } from '../../helpers/fake-resend';
import { readJson } from '../../helpers/read-json';
import { startTestApp, type TestApp } from '../../helpers/test-app';

const ACCOUNTS = 200;
const MARCH = 'from=2026-03-02&to=2026-03-29';
const APRIL = 'from=2026-04-06&to=2026-05-03';
const JUNE = 'from=2026-06-01&to=2026-06-28';
/** The heads-up emails go out, and both campaigns are cancelled, before either starts. */
const FIRST_EMAIL = '2026-03-06T09:05:00.000Z';
const CANCELLED_AT = '2026-03-06T10:00:00.000Z';
/** Cancellation plus the 14-day after-window (IMPACT_WINDOW_DAYS' default). */
const WINDOW_END = '2026-03-20T10:00:00.000Z';
/** From the first email to the window's end: 14 days and 55 minutes. */
const WINDOW_DAYS = (Date.parse(WINDOW_END) - Date.parse(FIRST_EMAIL)) / 86_400_000;
const EXPOSURE = {
  measured_from: FIRST_EMAIL,
  ends_at: CANCELLED_AT,
  note:
    'cancelled before its planned start, after its email went out; measured from its first ' +
    'email to its cancellation',
};

/**
 * A campaign cancelled after its email went out reached accounts from its first email and
 * stopped when it was cancelled: its measurement window starts at that email and ends 14 days
 * after the cancellation, whatever it had planned (an open end, or a start weeks later), and
 * it belongs to the periods of that window.
 */
describe('the measurement window of a campaign cancelled after its email went out', () => {
  let fake: FakeResend;
  let t: TestApp;
  let analystKey: string;
  const ids: Record<'openEnded' | 'planned', string> = { openEnded: '', planned: '' };
  const report = async (period: string) =>
    readJson(await t.request(`/v1/reports/prevented-contacts?${period}`, { key: analystKey }));
  const impact = async (id: string) =>
    readJson(await t.request(`/v1/campaigns/${id}/impact`, { key: analystKey }));

  beforeAll(async () => {
    fake = await startFakeResend({ requestsPerSecond: 50 });
    t = await startTestApp({
      env: {
        PUBLIC_URL: 'https://forestall.example.com',
        RESEND_API_KEY: fake.apiKey,
        RESEND_BASE_URL: fake.url,
        RESEND_RATE_LIMIT: '50',
      },
    });
    analystKey = await t.keyFor('analyst');
    await t.request('/v1/reasons/billing', { method: 'PUT', json: { label: 'Billing' } });
    await accountsWithEmails(t, ACCOUNTS);

    t.clock.set('2026-03-04T09:00:00Z');
    const create = async (title: string, window: { starts_at: string; ends_at?: string }) => {
      const created = await createCampaign(t, {
        channels: ['email'],
        title,
        body: 'Invoices move to the 9th of the month.',
        target_reasons: ['billing'],
        holdout_percent: 20,
        ...window,
        email: { template: 'announcement', send_at: '2026-03-06T09:00:00Z' },
      });
      return created.id as string;
    };
    // Planned to start in April, with no end; and planned for three weeks from the 9th.
    ids.openEnded = await create('Invoices move, open-ended', {
      starts_at: '2026-04-13T09:00:00Z',
    });
    ids.planned = await create('Invoices move, three weeks', {
      starts_at: '2026-03-09T09:00:00Z',
      ends_at: '2026-03-30T09:00:00Z',
    });

    t.clock.set(FIRST_EMAIL);
    await sendEmailsJob.run(t.deps, t.clock.now(), new AbortController().signal);
    expect(fake.accepted.length).toBeGreaterThan(ACCOUNTS);
    t.clock.set(CANCELLED_AT);
    for (const id of Object.values(ids)) {
      const cancelled = await t.request(`/v1/campaigns/${id}`, {
        method: 'PATCH',
        json: { status: 'cancelled' },
      });
      expect(cancelled.status, await cancelled.clone().text()).toBe(200);
    }
    const tickets = Array.from({ length: ACCOUNTS }, (_, i) => i)
      .filter((i) => i % 4 === 0)
      .map((i) => ({
        source: 'test',
        external_id: `b-${i}`,
        account_id: `a-${i}`,
        reason: 'Billing',
        created_at: '2026-03-10T10:00:00Z',
      }));
    t.clock.set('2026-04-01T00:00:00Z');
    expect((await t.request('/v1/tickets', { method: 'POST', json: { tickets } })).status).toBe(
      200,
    );
    await t.settle();
  });
  afterAll(async () => {
    await t.close();
    await fake.close();
  });

  it('starts at its first email and ends 14 days after the cancellation, so the impact API calls it final once that passed', async () => {
    // Before the planned window of either has closed (the open-ended one's never does).
    t.clock.set('2026-04-01T00:00:00Z');
    for (const id of Object.values(ids)) {
      const answer = await impact(id);
      expect(answer).toMatchObject({
        campaign_status: 'cancelled',
        measurement: 'final',
        window: { ends_at: WINDOW_END, planned_days: WINDOW_DAYS, elapsed_days: WINDOW_DAYS },
        exposure: EXPOSURE,
      });
      expect(answer.companion.treated.accounts).toBeGreaterThan(100);
    }
  });

  it('is in the report of the period it reached accounts in, not of later ones', async () => {
    t.clock.set('2026-07-01T00:00:00Z');
    const march = await report(MARCH);
    expect(march.campaigns.map((c: { id: string }) => c.id).sort()).toEqual(
      Object.values(ids).sort(),
    );
    for (const campaign of march.campaigns) {
      expect(campaign).toMatchObject({
        status: 'cancelled',
        measurement: 'final',
        exposure: EXPOSURE,
      });
    }
    // The chart bands them over the days they reached accounts, not their planned dates.
    expect(measuredWindows(march.campaigns)).toEqual(
      march.campaigns.map((c: { title: string }) => ({
        title: c.title,
        starts_at: FIRST_EMAIL,
        ends_at: CANCELLED_AT,
      })),
    );
    // April holds the open-ended one's planned start; June is long after both windows closed.
    expect((await report(APRIL)).campaigns).toEqual([]);
    expect((await report(JUNE)).campaigns).toEqual([]);
  });

  it('is measured by the job once settled, and not again', async () => {
    const firstRun = new Date('2026-07-01T00:00:00Z');
    t.clock.set(firstRun.toISOString());
    await measureCampaignsJob.run(t.deps, firstRun, new AbortController().signal);
    const later = new Date('2026-07-02T00:00:00Z');
    t.clock.set(later.toISOString());
    await measureCampaignsJob.run(t.deps, later, new AbortController().signal);
    const march = await report(MARCH);
    expect(march.campaigns).toHaveLength(2);
    for (const campaign of march.campaigns) {
      expect(campaign.measured_at).toBe(firstRun.toISOString());
    }
  });
});
