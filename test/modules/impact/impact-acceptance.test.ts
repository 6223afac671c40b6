import { parse } from 'csv-parse/sync';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isHeldOut } from '../../../src/modules/campaigns/holdout';
import { createCampaign } from '../../helpers/campaigns';
import { startPacedApp } from '../../helpers/paced-app';
import { readJson } from '../../helpers/read-json';

// The test clock starts at 2026-03-02T09:00:00Z; campaigns run a week, measured 14 days after.
const START = '2026-03-02T09:00:00Z';
const AFTER_WINDOW = '2026-03-30T00:00:00Z';
const PERIOD = 'from=2026-03-01&to=2026-03-28';

type Ticket = Record<string, string | number>;

// Each test builds audiences of thousands of accounts and measures them: its time limit
// follows how long this file's app took to start (40 starts), not a fixed 30 s.
const paced = await startPacedApp(40);

describe('prevented contacts end to end', { timeout: paced.timeout }, () => {
  const t = paced.t;
  let appKey: string;
  let analystKey: string;
  beforeAll(async () => {
    // Reasons named by campaigns must exist (an unknown one is a 422).
    for (const label of ['Billing', 'Shipping']) {
      await t.request(`/v1/reasons/${label.toLowerCase()}`, { method: 'PUT', json: { label } });
    }
    appKey = await t.keyFor('app');
    analystKey = await t.keyFor('analyst');
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    await t.deps.db.execute(
      sql`truncate campaigns, tickets, reason_weeks, reason_days, exposure_log, accounts cascade`,
    );
    t.deps.notices.catalog.invalidate();
    t.clock.set(START);
  });

  /** Accounts p-0 … p-(n−1) in a plan of their own, a campaign for that plan, all exposed. */
  async function campaignWithAudience(prefix: string, n: number, holdout: number) {
    const accounts = Array.from({ length: n }, (_, i) => ({ id: `${prefix}-${i}`, plan: prefix }));
    for (let i = 0; i < n; i += 5_000) {
      const batch = accounts.slice(i, i + 5_000);
      expect(
        (await t.request('/v1/accounts/batch', { method: 'POST', json: { accounts: batch } }))
          .status,
      ).toBe(200);
    }
    const campaign = await createCampaign(t, {
      channels: ['banner'],
      title: `Campaign for ${prefix}`,
      audience: { type: 'rule', all: [{ attribute: 'plan', op: 'eq', value: prefix }] },
      target_reasons: ['billing'],
      holdout_percent: holdout,
      starts_at: START,
      ends_at: '2026-03-09T09:00:00Z',
    });
    for (const account of accounts) {
      await t.request(`/v1/accounts/${account.id}/notices`, { key: appKey });
    }
    await t.deps.notices.exposures.flush();
    const heldOut = (i: number) => isHeldOut(campaign.id, `${prefix}-${i}`, holdout);
    return { campaign, accounts, heldOut };
  }

  async function ingest(tickets: Ticket[]) {
    for (let i = 0; i < tickets.length; i += 5_000) {
      const response = await t.request('/v1/tickets', {
        method: 'POST',
        json: { tickets: tickets.slice(i, i + 5_000) },
      });
      expect(response.status).toBe(200);
    }
  }

  const impact = async (id: string) =>
    readJson(await t.request(`/v1/campaigns/${id}/impact`, { key: analystKey }));
  const report = async (format = 'json') =>
    t.request(`/v1/reports/prevented-contacts?${PERIOD}&format=${format}`, { key: analystKey });

  it('answers insufficient_data, not a significant result, for a small audience with a 5% holdout', async () => {
    const { campaign, heldOut } = await campaignWithAudience('small', 400, 5);
    // A few heavy accounts and many quiet ones; the held-out 5% happened to draw none of the
    // heavy ones, which a certain-zero reading would call a large effect.
    const tickets: Ticket[] = [];
    for (let i = 0; i < 400; i++) {
      const count = heldOut(i) ? 0 : i % 40 === 1 ? 6 : i % 10 === 3 ? 1 : 0;
      for (let k = 0; k < count; k++) {
        tickets.push({
          source: 'small',
          external_id: `${i}-${k}`,
          account_id: `small-${i}`,
          reason: k % 2 ? 'Billing' : 'Shipping',
          created_at: `2026-03-0${4 + (k % 5)}T10:00:00Z`,
        });
      }
    }
    t.clock.set(AFTER_WINDOW);
    await ingest(tickets);
    const result = await impact(campaign.id);
    expect(result.measurement).toBe('final');
    for (const estimate of [result.net, result.target]) {
      expect(estimate.status).toBe('insufficient_data');
      expect(estimate.prevented).toBeUndefined();
      expect(estimate.p_value).toBeUndefined();
      expect(estimate.reason).toMatch(/held-out accounts/);
      expect(estimate.needed.more_weeks ?? estimate.needed.holdout_accounts).toBeGreaterThan(0);
    }
    expect(result.deflection_rate).toBeNull();
    const body = await readJson(await report());
    const entry = body.campaigns.find((c: { id: string }) => c.id === campaign.id);
    expect(entry).toMatchObject({ prevented: null, p_value: null, savings_cents: null });
    expect(entry.reason).toMatch(/held-out accounts/);
    expect(body.totals.prevented).toBeNull();
  });

  it('reports a fully shifted effect as net prevented near zero and shifted contacts', async () => {
    const { campaign, accounts, heldOut } = await campaignWithAudience('shift', 4_000, 20);
    // Held out: a billing contact in every other account. Treated: one in five; the rest of
    // those contacts come in as shipping ones instead. Every fifth account of each group also
    // writes about login, untouched.
    const tickets: Ticket[] = [];
    let treated = 0;
    let held = 0;
    accounts.forEach((account, i) => {
      const reasons: string[] = [];
      const inGroup = heldOut(i) ? held++ : treated++;
      if (heldOut(i)) {
        if (inGroup % 2 === 0) reasons.push('Billing');
      } else {
        const k = inGroup % 10;
        if (k < 2) reasons.push('Billing');
        else if (k < 5) reasons.push('Shipping');
      }
      if (inGroup % 5 === 0) reasons.push('Login');
      reasons.forEach((reason, k) => {
        tickets.push({
          source: 'shift',
          external_id: `${i}-${k}`,
          account_id: account.id,
          reason,
          created_at: `2026-03-0${3 + (i % 5)}T1${k}:00:00Z`,
        });
      });
    });
    t.clock.set(AFTER_WINDOW);
    await ingest(tickets);
    const result = await impact(campaign.id);
    const truth = treated * 0.3;
    expect(result.target.prevented.low).toBeGreaterThan(0);
    expect(result.target.prevented.low).toBeLessThan(truth);
    expect(result.target.prevented.high).toBeGreaterThan(truth);
    expect(Math.abs(result.net.prevented.estimate)).toBeLessThan(truth * 0.1);
    expect(result.net.prevented.low).toBeLessThan(0);
    expect(result.net.prevented.high).toBeGreaterThan(0);
    expect(result.shifted.prevented.low).toBeGreaterThan(0);
    expect(result.shifted.prevented.estimate).toBeCloseTo(
      result.target.prevented.estimate - result.net.prevented.estimate,
      6,
    );
    // Savings and deflection follow the net effect, not the target one.
    expect(Math.abs(result.net.savings_cents.estimate)).toBeLessThan(truth * 0.1 * 900);
    expect(Math.abs(result.deflection_rate)).toBeLessThan(0.02);

    const body = await readJson(await report());
    expect(Math.abs(body.totals.prevented.estimate)).toBeLessThan(truth * 0.1);
    expect(body.totals.shifted.estimate).toBeGreaterThan(truth * 0.8);
    expect(body.totals.target_prevented.estimate).toBeGreaterThan(truth * 0.8);
    const byReason = (slug: string) =>
      body.reasons.find((r: { reason: string }) => r.reason === slug).prevented;
    expect(byReason('billing')).toBeGreaterThan(truth * 0.8);
    // The reason that received the contacts shows them as negative prevented contacts.
    expect(byReason('shipping')).toBeLessThan(-truth * 0.8);
    expect(Math.abs(byReason('login'))).toBeLessThan(truth * 0.1);
  });

  it('shows CSAT, first response time and churn by group in JSON, CSV and HTML alike', async () => {
    const { campaign, accounts, heldOut } = await campaignWithAudience('care', 3_000, 30);
    // Treated accounts: fewer billing contacts, answered within the hour but rated 2; one in
    // fifty churns in the window. Held out: rated 5, answered after 10 hours; one in ten churns.
    const tickets: Ticket[] = [];
    const csvRows: string[] = [];
    let treated = 0;
    let held = 0;
    const churned: { id: string; churned_at: string; plan: string }[] = [];
    accounts.forEach((account, i) => {
      const isHeld = heldOut(i);
      const k = isHeld ? held++ : treated++;
      // Held-out accounts write clearly more tickets in all (about 450 against 350 whatever the
      // holdout hash draws), so the week's median falls among their 10-hour answers.
      const writes = isHeld ? k % 2 === 0 : k % 6 === 0;
      if (writes) {
        const created = `2026-03-0${3 + (i % 5)}T10:00:00Z`;
        const answered = isHeld
          ? `2026-03-0${3 + (i % 5)}T20:00:00Z`
          : `2026-03-0${3 + (i % 5)}T10:45:00Z`;
        const csat = isHeld ? 5 : 2;
        // Half of them arrive by CSV, half by the API.
        if (i % 2 === 0) {
          csvRows.push(`care-${i},${account.id},Billing,${created},${created},${answered},${csat}`);
        } else {
          tickets.push({
            source: 'api',
            external_id: `care-${i}`,
            account_id: account.id,
            reason: 'Billing',
            created_at: created,
            resolved_at: created,
            first_response_at: answered,
            csat,
          });
        }
      }
      if (k % (isHeld ? 10 : 50) === 0) {
        churned.push({ id: account.id, plan: 'care', churned_at: '2026-03-15T12:00:00Z' });
      }
    });
    t.clock.set(AFTER_WINDOW);
    await ingest(tickets);
    const imported = await t.request('/v1/tickets/import?source=csv', {
      method: 'POST',
      body: `external_id,account_id,reason,created_at,resolved_at,first_response_at,csat\n${csvRows.join('\n')}\n`,
      headers: { 'content-type': 'text/csv' },
    });
    expect(imported.status).toBe(200);
    expect(
      (await t.request('/v1/accounts/batch', { method: 'POST', json: { accounts: churned } }))
        .status,
    ).toBe(200);

    const result = await impact(campaign.id);
    const { treated: tg, holdout: hg } = result.companion;
    expect(tg.csat).toBe(0);
    expect(hg.csat).toBe(1);
    expect(tg.csat_responses).toBe(tg.contacts);
    expect(tg.first_response_median_hours).toBeCloseTo(0.75, 6);
    expect(tg.first_response_p90_hours).toBeCloseTo(0.75, 6);
    expect(hg.first_response_median_hours).toBeCloseTo(10, 6);
    expect(tg.churn_rate).toBeCloseTo(Math.ceil(treated / 50) / treated, 6);
    expect(hg.churn_rate).toBeCloseTo(Math.ceil(held / 10) / held, 6);
    // Contacts went down while the contacts that still arrived were rated lower, every one of
    // them, against every held-out one rated 5: the warning says so. Churn rose among held-out
    // accounts, not treated ones.
    expect(result.net.prevented.low).toBeGreaterThan(0);
    expect(result.warnings.map((w: { code: string }) => w.code).sort()).toEqual(['csat_down']);

    const body = await readJson(await report());
    const entry = body.campaigns.find((c: { id: string }) => c.id === campaign.id);
    expect(entry.treated).toEqual(tg);
    expect(entry.holdout).toEqual(hg);
    expect(entry.warnings).toEqual(result.warnings);
    expect(body.totals.churn_rate.treated).toBeCloseTo(tg.churn_rate, 10);
    expect(body.totals.churn_rate.holdout).toBeCloseTo(hg.churn_rate, 10);
    const week = body.weeks.find((w: { week: string }) => w.week === '2026-03-02');
    expect(week.first_response_median_hours).toBeGreaterThan(0.75);
    expect(week.first_response_p90_hours).toBeCloseTo(10, 6);
    expect(week.csat_responses).toBe(week.contacts);

    const csv: Record<string, string>[] = parse(await (await report('csv')).text(), {
      columns: true,
    });
    const groups = csv.filter((r) => r.section === 'campaign_group' && r.key === campaign.id);
    const row = (group: string) => groups.find((r) => r.label === group) as Record<string, string>;
    expect(Number(row('treated').csat)).toBe(0);
    expect(Number(row('holdout').csat)).toBe(1);
    expect(Number(row('treated').first_response_median_hours)).toBeCloseTo(0.75, 6);
    expect(Number(row('holdout').first_response_median_hours)).toBeCloseTo(10, 6);
    expect(Number(row('treated').churn_rate)).toBeCloseTo(tg.churn_rate, 10);
    expect(Number(row('holdout').churn_rate)).toBeCloseTo(hg.churn_rate, 10);

    const page = await (await report('html')).text();
    const percent = (value: number) => `${(value * 100).toFixed(1)}%`;
    expect(page).toContain(`${percent(tg.csat)} / ${percent(hg.csat)}`);
    expect(page).toContain('45 min / 10 h');
    expect(page).toContain(`${percent(tg.churn_rate)} / ${percent(hg.churn_rate)}`);
    expect(page).toContain('the CSAT of the contacts that still arrived is lower');
  });
});
