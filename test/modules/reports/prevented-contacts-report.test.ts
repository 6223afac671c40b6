import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isHeldOut } from '../../../src/modules/campaigns/holdout';
import { measureCampaignsJob } from '../../../src/modules/jobs/definitions/measure-campaigns.job';
import { sendReportDigest } from '../../../src/modules/reports/report-digest.service';
import { createCampaign } from '../../helpers/campaigns';
import { startPacedApp } from '../../helpers/paced-app';
import { expectProblem } from '../../helpers/problem';
import { readJson } from '../../helpers/read-json';
import { recordingThreadCompute } from '../../helpers/recording-compute';
import { startTestApp } from '../../helpers/test-app';

const ACCOUNTS = 2_000;
const PERIOD = 'from=2026-03-01&to=2026-03-28';

type CsvRow = Record<string, string>;

// 2,000 accounts each ask for their notices, then are measured: time limits follow this
// file's measured start rather than a fixed 30 s.
const paced = await startPacedApp(40, {
  env: { REPORT_DIGEST_TO: 'Lead@example.com, cfo@example.com, lead@EXAMPLE.com' },
});

describe('GET /v1/reports/prevented-contacts', { timeout: paced.timeout }, () => {
  const t = paced.t;
  let analystKey: string;
  let campaignId: string;
  let unmeasuredId: string;
  let truth: number;
  let ticketCount: number;
  beforeAll(async () => {
    // Reasons named by events and campaigns must exist (an unknown one is a 422).
    await t.request('/v1/reasons/billing', {
      method: 'PUT',
      json: { label: 'Billing', aliases: ['Invoices'] },
    });
    analystKey = await t.keyFor('analyst');
    const appKey = await t.keyFor('app');
    const accounts = Array.from({ length: ACCOUNTS }, (_, i) => ({ id: `a-${i}` }));
    await t.request('/v1/accounts/batch', { method: 'POST', json: { accounts } });
    const create = (title: string, audience: unknown) =>
      createCampaign(t, {
        channels: ['banner'],
        title,
        audience,
        target_reasons: ['billing'],
        holdout_percent: 10,
        starts_at: '2026-03-02T09:00:00Z',
        ends_at: '2026-03-09T09:00:00Z',
      });
    const campaign = await create('New invoice layout', { type: 'all' });
    campaignId = campaign.id;
    // Nobody with this plan exists: the campaign is never seen.
    unmeasuredId = (
      await create('Enterprise price change', {
        type: 'rule',
        all: [{ attribute: 'plan', op: 'eq', value: 'enterprise' }],
      })
    ).id;
    for (let i = 0; i < ACCOUNTS; i++)
      await t.request(`/v1/accounts/a-${i}/notices`, { key: appKey });
    await t.deps.notices.exposures.flush();

    // Half the held-out accounts contact billing twice, 24 h apart (a re-contact), unresolved: a
    // rate of 1.0. Three treated accounts in ten contact billing once and are resolved: 0.3.
    // One shipping contact in five accounts for everyone.
    const tickets: Record<string, unknown>[] = [];
    let treated = 0;
    let held = 0;
    for (let i = 0; i < ACCOUNTS; i++) {
      const heldOut = isHeldOut(campaign.id, `a-${i}`, 10);
      const billing = heldOut ? held++ % 2 : treated++ % 10 < 3 ? 1 : 0;
      if (billing) {
        tickets.push({
          source: 'test',
          external_id: `b-${i}`,
          account_id: `a-${i}`,
          reason: 'Billing',
          created_at: '2026-03-04T10:00:00Z',
          ...(heldOut ? {} : { resolved_at: '2026-03-04T12:00:00Z' }),
        });
        if (heldOut)
          tickets.push({
            source: 'test',
            external_id: `r-${i}`,
            account_id: `a-${i}`,
            reason: 'Billing',
            created_at: '2026-03-05T10:00:00Z',
          });
      }
      // One shipping contact in five accounts of each group: the same rate, not chance.
      const inGroup = heldOut ? held : treated;
      if (inGroup % 5 === 0)
        tickets.push({
          source: 'test',
          external_id: `s-${i}`,
          account_id: `a-${i}`,
          reason: 'Shipping',
          created_at: '2026-03-11T10:00:00Z',
          resolved_at: '2026-03-11T11:00:00Z',
        });
    }
    ticketCount = tickets.length;
    truth = treated * (1.0 - 0.3);
    t.clock.set('2026-03-30T00:00:00Z');
    expect((await t.request('/v1/tickets', { method: 'POST', json: { tickets } })).status).toBe(
      200,
    );
  }, paced.hookTimeout);
  afterAll(() => t.close());

  const get = (query: string, key = analystKey) =>
    t.request(`/v1/reports/prevented-contacts?${query}`, { key });

  it('reports prevented contacts per campaign, reason and week, with companion metrics and totals', async () => {
    const report = await readJson(await get(PERIOD));
    expect(report).toMatchObject({
      from: '2026-03-01',
      to: '2026-03-28',
      time_zone: 'UTC',
      cost_per_ticket_cents: 900,
      currency: 'USD',
    });
    const campaign = report.campaigns.find((c: { id: string }) => c.id === campaignId);
    expect(campaign).toMatchObject({
      method: 'holdout',
      measurement: 'final',
      target_reasons: ['billing'],
    });
    expect(campaign.prevented.low).toBeLessThan(truth);
    expect(campaign.prevented.high).toBeGreaterThan(truth);
    expect(campaign.savings_cents.estimate).toBe(Math.round(campaign.prevented.estimate * 900));
    // Held-out accounts re-contact and stay unresolved; treated accounts are resolved.
    expect(campaign.holdout.recontact_rate).toBeGreaterThan(0.3);
    expect(campaign.treated.recontact_rate).toBe(0);
    expect(campaign.treated.resolution_rate).toBeGreaterThan(campaign.holdout.resolution_rate);
    expect(campaign.treated.cost_per_resolution_cents).toBe(
      Math.round(900 / campaign.treated.resolution_rate),
    );
    expect(campaign.holdout.cost_per_resolution_cents).toBeGreaterThan(
      campaign.treated.cost_per_resolution_cents,
    );
    // One definition: net prevented over the treated accounts' contacts (every reason) plus it.
    expect(campaign.deflection_rate).toBeCloseTo(
      campaign.prevented.estimate / (campaign.treated.contacts + campaign.prevented.estimate),
      10,
    );
    // Shipping is untouched: the target effect is the net one, and nothing shifted.
    expect(campaign.target_prevented.low).toBeLessThan(truth);
    expect(campaign.target_prevented.high).toBeGreaterThan(truth);
    expect(campaign.shifted.low).toBeLessThan(0);
    expect(campaign.shifted.high).toBeGreaterThan(0);
    expect(campaign.interval_kind).toBe('fixed_horizon');

    const unmeasured = report.campaigns.find((c: { id: string }) => c.id === unmeasuredId);
    expect(unmeasured).toMatchObject({
      prevented: null,
      savings_cents: null,
      deflection_rate: null,
    });
    expect(unmeasured.reason).toMatch(/^no account has been shown or sent the campaign yet/);
    expect(report.totals.deflection_rate).toBeCloseTo(campaign.deflection_rate, 10);

    expect(report.totals.contacts).toBe(ticketCount);
    expect(report.totals.prevented.estimate).toBeCloseTo(campaign.prevented.estimate, 6);
    expect(report.totals.campaigns).toBe(2);
    expect(report.totals.cost_per_resolution_cents).toBe(
      Math.round((ticketCount * 900) / report.totals.resolved),
    );
    const weeks = report.weeks.map((w: { week: string }) => w.week);
    expect(weeks).toEqual(['2026-02-23', '2026-03-02', '2026-03-09', '2026-03-16', '2026-03-23']);
    const weeklyPrevented = report.weeks.reduce(
      (sum: number, w: { prevented: number }) => sum + w.prevented,
      0,
    );
    // Per week and per reason: unadjusted point estimates that add up to the net one.
    const reasonsPrevented = report.reasons.reduce(
      (sum: number, r: { prevented: number }) => sum + r.prevented,
      0,
    );
    expect(weeklyPrevented).toBeCloseTo(reasonsPrevented, 0);
    const billing = report.reasons.find((r: { reason: string }) => r.reason === 'billing');
    expect(billing.prevented).toBeCloseTo(campaign.target_prevented.estimate, -1);
    const shipping = report.reasons.find((r: { reason: string }) => r.reason === 'shipping');
    expect(Math.abs(shipping.prevented)).toBeLessThan(billing.prevented / 5);
  });

  it('exports the same numbers as CSV and as a printable page with charts', async () => {
    const report = await readJson(await get(PERIOD));
    const csv = await get(`${PERIOD}&format=csv`);
    expect(csv.headers.get('content-type')).toContain('text/csv');
    const rows: CsvRow[] = parse(await csv.text(), { columns: true });
    const total = rows.find((r) => r.section === 'total');
    expect(Number(total?.contacts)).toBe(report.totals.contacts);
    expect(Number(total?.prevented)).toBeCloseTo(report.totals.prevented.estimate, 6);
    expect(Number(total?.savings_cents)).toBe(report.totals.savings_cents.estimate);
    const campaign = report.campaigns.find((c: { id: string }) => c.id === campaignId);
    const campaignRow = rows.find((r) => r.key === campaignId);
    expect(Number(campaignRow?.prevented_low)).toBeCloseTo(campaign.prevented.low, 6);
    expect(Number(campaignRow?.prevented_high)).toBeCloseTo(campaign.prevented.high, 6);
    expect(rows.filter((r) => r.section === 'week').map((r) => Number(r.prevented))).toEqual(
      report.weeks.map((w: { prevented: number }) => w.prevented),
    );
    expect(rows.filter((r) => r.section === 'reason')).toHaveLength(report.reasons.length);

    const page = await get(`${PERIOD}&format=html`);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(page.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
    const markup = await page.text();
    expect(markup.match(/<svg/g)?.length).toBe(3);
    expect(markup).toContain('New invoice layout');
    const shown = (value: number, digits = 0) =>
      value.toLocaleString('en', { minimumFractionDigits: digits, maximumFractionDigits: digits });
    expect(markup).toContain(shown(report.totals.prevented.estimate));
    expect(markup).toContain(shown(campaign.prevented.estimate, 1));
    expect(markup).toContain(
      (report.totals.savings_cents.estimate / 100).toLocaleString('en', {
        minimumFractionDigits: 2,
        maximumFractionDigits: 2,
      }),
    );
  });

  it('is for analysts and admins only', async () => {
    expect((await get(PERIOD, t.adminKey)).status).toBe(200);
    expect((await get(PERIOD, await t.keyFor('ops'))).status).toBe(403);
    expect((await get(PERIOD, await t.keyFor('app'))).status).toBe(403);
    expect(
      (await t.request(`/v1/reports/prevented-contacts?${PERIOD}`, { key: null })).status,
    ).toBe(401);
  });

  it('rejects a period that ends before it starts, or is too long, saying which', async () => {
    const backwards = await expectProblem(
      await get('from=2026-03-28&to=2026-03-01'),
      400,
      'validation_failed',
    );
    expect(backwards.detail).toBe('The period ends (2026-03-01) before it starts.');
    await expectProblem(await get('from=yesterday'), 400, 'validation_failed');
    const long = await expectProblem(
      await get('from=2020-01-01&to=2026-03-01'),
      400,
      'validation_failed',
    );
    expect(long.detail).toMatch(/^The period spans 2252 days; a report covers at most 1098\.$/);
  });

  it('answers an empty period with zero contacts and no estimate, not a zero one', async () => {
    const report = await readJson(await get('from=2025-01-06&to=2025-01-19'));
    expect(report.campaigns).toEqual([]);
    expect(report.totals).toMatchObject({
      contacts: 0,
      recontact_rate: null,
      resolution_rate: null,
      cost_per_resolution_cents: null,
      prevented: null,
      savings_cents: null,
      deflection_rate: null,
    });
  });

  it("mails last week's figures to the leaders through the email transport", async () => {
    t.clock.set('2026-03-09T07:00:00Z');
    try {
      const outcome = await sendReportDigest(t.deps, t.clock.now());
      expect(outcome?.kind).toBe('accepted');
      const week = await readJson(await get('from=2026-03-02&to=2026-03-08'));
      const outbox = await readJson(await t.request('/v1/outbox?limit=10'));
      const digests = outbox.data.filter(
        (m: { campaign_id: string | null }) => m.campaign_id === null,
      );
      // As given, and once: the third address is the first's mailbox in other capitals.
      expect(digests.map((m: { to: string }) => m.to).sort()).toEqual([
        'Lead@example.com',
        'cfo@example.com',
      ]);
      const [digest] = digests;
      const prevented = Math.round(week.totals.prevented.estimate).toLocaleString('en');
      // Over the campaign's window so far, which runs past the week: said, with its days.
      expect(digest.subject).toBe(
        `Prevented contacts, 2026-03-02 to 2026-03-08: ${prevented} over the campaigns' whole ` +
          'measurement windows, so far',
      );
      expect(week.totals.prevented_so_far).toBe(1);
      expect(digest.text.replace(/\s+/g, ' ')).toContain(
        'active, holdout, so far, over 2026-03-02 to 2026-03-09 of its window',
      );
      expect(digest.text.replace(/\s+/g, ' ')).toContain(
        'measured against holdouts: 1 of 2 campaigns, over its whole measurement window (still ' +
          'running: so far, with the wider interval that holds however often it is read)',
      );
      expect(digest.html).toContain('New invoice layout');
      expect(digest.text).toContain(`${(week.totals.recontact_rate * 100).toFixed(1)}%`);
      // The churn totals are over the campaigns in the net total, not every campaign: it says so.
      expect(digest.text).toContain(
        'Churn in the window, treated / held out, of the 1 campaign in the net total',
      );
    } finally {
      t.clock.set('2026-03-30T00:00:00Z');
    }
  });

  it('reads the measurements the measure-campaigns job stored, until they are 20 minutes old', async () => {
    const contactsOf = (report: { campaigns: { id: string; treated: { contacts: number } }[] }) =>
      report.campaigns.find((c) => c.id === campaignId)?.treated.contacts;
    const live = await readJson(await get(PERIOD));
    const jobRanAt = t.clock.now();
    await measureCampaignsJob.run(t.deps, jobRanAt);
    // A late ticket inside the window, from a treated account: the stored answer predates it.
    const treatedAccount = Array.from({ length: ACCOUNTS }, (_, i) => `a-${i}`).find(
      (id) => !isHeldOut(campaignId, id, 10),
    );
    const late = {
      source: 'test',
      external_id: 'late-1',
      account_id: treatedAccount,
      reason: 'Shipping',
      created_at: '2026-03-06T10:00:00Z',
    };
    expect(
      (await t.request('/v1/tickets', { method: 'POST', json: { tickets: [late] } })).status,
    ).toBe(200);
    t.clock.set(new Date(jobRanAt.getTime() + 19 * 60_000).toISOString());
    const stored = await readJson(await get(PERIOD));
    const campaign = stored.campaigns.find((c: { id: string }) => c.id === campaignId);
    expect(campaign.measured_at).toBe(jobRanAt.toISOString());
    expect(contactsOf(stored)).toBe(contactsOf(live));
    expect(campaign.prevented).toEqual(
      live.campaigns.find((c: { id: string }) => c.id === campaignId).prevented,
    );

    t.clock.set(new Date(jobRanAt.getTime() + 21 * 60_000).toISOString());
    const measuredAgain = await readJson(await get(PERIOD));
    expect(
      measuredAgain.campaigns.find((c: { id: string }) => c.id === campaignId).measured_at,
    ).toBe(t.clock.now().toISOString());
    expect(contactsOf(measuredAgain)).toBe((contactsOf(live) ?? 0) + 1);
  });

  it('assembles and serializes the report on a compute thread, byte for byte as inline', async () => {
    const { compute, tasks } = recordingThreadCompute();
    // The same database, so no close: that would close it for the other tests too.
    const onThreads = await startTestApp({ database: t.database, compute });
    const onThreadsKey = await onThreads.keyFor('analyst');
    const both = async (query: string) => {
      onThreads.clock.set(t.clock.now().toISOString());
      const fromThread = await onThreads.request(`/v1/reports/prevented-contacts?${query}`, {
        key: onThreadsKey,
      });
      expect(fromThread.status).toBe(200);
      expect(fromThread.headers.get('content-type')).toMatch(/^application\/json/);
      return { fromThread: await fromThread.text(), inline: await (await get(query)).text() };
    };
    // Measured for the answer (the stored measurements are old by now), then as stored.
    const measuredNow = await both(PERIOD);
    expect(JSON.parse(measuredNow.fromThread).campaigns.length).toBeGreaterThan(0);
    expect(measuredNow.fromThread).toBe(measuredNow.inline);
    await measureCampaignsJob.run(t.deps, t.clock.now());
    const stored = await both(PERIOD);
    expect(JSON.parse(stored.fromThread).campaigns[0].measured_at).toBe(
      t.clock.now().toISOString(),
    );
    expect(stored.fromThread).toBe(stored.inline);
    expect(tasks.filter((task) => task.startsWith('preventedContactsReport'))).toEqual([
      'preventedContactsReportJson',
      'preventedContactsReportJson',
    ]);
  });
});
