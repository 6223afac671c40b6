import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isHeldOut } from '../../../src/modules/campaigns/holdout';
import { createCampaign } from '../../helpers/campaigns';
import { startPacedApp } from '../../helpers/paced-app';
import { expectProblem } from '../../helpers/problem';
import { readJson } from '../../helpers/read-json';

// The test clock starts at 2026-03-02T09:00:00Z.
const ACCOUNTS = 2_000;
const HOLDOUT_RATE = 0.5; // billing contacts per account in the window without the campaign
const TRUE_LIFT = 0.4;

// Audiences of thousands of accounts, measured: time limits follow this file's measured start.
const paced = await startPacedApp(40);

describe('GET /v1/campaigns/{id}/impact', { timeout: paced.timeout }, () => {
  const t = paced.t;
  let appKey: string;
  let analystKey: string;
  beforeAll(async () => {
    // Reasons named by events and campaigns must exist (an unknown one is a 422).
    await t.request('/v1/reasons/billing', {
      method: 'PUT',
      json: { label: 'Billing', aliases: ['Invoices'] },
    });
    appKey = await t.keyFor('app');
    analystKey = await t.keyFor('analyst');
    const ids = Array.from({ length: ACCOUNTS }, (_, i) => ({ id: `a-${i}` }));
    await t.request('/v1/accounts/batch', { method: 'POST', json: { accounts: ids } });
  }, paced.hookTimeout);
  afterAll(() => t.close());
  beforeEach(async () => {
    await t.deps.db.execute(
      sql`truncate campaigns, tickets, reason_weeks, reason_days, exposure_log cascade`,
    );
    t.deps.notices.catalog.invalidate();
    t.clock.set('2026-03-02T09:00:00Z');
  });

  const billingBanner = (holdout: number) =>
    createCampaign(t, {
      channels: ['banner'],
      title: 'New invoice layout next week',
      target_reasons: ['billing'],
      holdout_percent: holdout,
      starts_at: '2026-03-02T09:00:00Z',
      ends_at: '2026-03-09T09:00:00Z',
    });
  const impact = async (id: string) =>
    readJson(await t.request(`/v1/campaigns/${id}/impact`, { key: analystKey }));

  it('reports prevented contacts whose interval contains the true simulated number', async () => {
    const campaign = await billingBanner(10);
    for (let i = 0; i < ACCOUNTS; i++) {
      await t.request(`/v1/accounts/a-${i}/notices`, { key: appKey });
    }
    await t.deps.notices.exposures.flush();

    // Afterwards, treated accounts contact support about billing 40% less often: held-out
    // accounts make 0 or 1 billing contacts alternately (a rate of 0.5), treated accounts 1 in
    // 10 patterns of 3 (0.3). Counts follow the group, not chance, because the campaign id (and
    // so which accounts are held out) differs on every run; bench:impact measures coverage on
    // random counts. Shipping contacts, which the campaign does not target, are the same.
    const tickets: Record<string, string>[] = [];
    let treated = 0;
    let held = 0;
    for (let i = 0; i < ACCOUNTS; i++) {
      const heldOut = isHeldOut(campaign.id, `a-${i}`, 10);
      const inGroup = heldOut ? held++ : treated++;
      const billing = heldOut ? inGroup % 2 : inGroup % 10 < 3 ? 1 : 0;
      // One shipping contact in five accounts of each group: the same rate, not chance.
      const reasons = [
        ...Array<string>(billing).fill('Billing'),
        ...Array<string>(inGroup % 5 === 0 ? 1 : 0).fill('Shipping'),
      ];
      reasons.forEach((reason, k) => {
        tickets.push({
          source: 'test',
          external_id: `${i}-${k}`,
          account_id: `a-${i}`,
          reason,
          created_at: `2026-03-0${3 + (k % 5)}T10:00:00Z`,
        });
      });
    }
    t.clock.set('2026-03-30T00:00:00Z');
    const ingested = await t.request('/v1/tickets', { method: 'POST', json: { tickets } });
    expect(ingested.status).toBe(200);
    const result = await impact(campaign.id);
    expect(result).toMatchObject({
      method: 'holdout',
      measurement: 'final',
      window: { days: 14, ends_at: '2026-03-23T09:00:00.000Z' },
      target_reasons: ['billing'],
    });
    expect(result.companion.treated.accounts).toBe(treated);
    expect(result.companion.holdout.accounts).toBe(ACCOUNTS - treated);
    expect(result.companion.holdout.accounts).toBeGreaterThan(ACCOUNTS * 0.07);
    expect(result.companion.holdout.accounts).toBeLessThan(ACCOUNTS * 0.13);
    expect(result.interval_kind).toBe('fixed_horizon');
    const truth = treated * HOLDOUT_RATE * TRUE_LIFT;
    expect(result.target.prevented.low).toBeLessThan(truth);
    expect(result.target.prevented.high).toBeGreaterThan(truth);
    expect(Math.abs(result.target.prevented.estimate - truth)).toBeLessThan(truth * 0.05);
    expect(result.target.savings_cents.estimate).toBe(
      Math.round(result.target.prevented.estimate * 900),
    );
    // Shipping contacts are untouched: the net effect is the billing one.
    expect(result.net.status).toBe('ok');
    expect(result.net.treated_contacts).toBeGreaterThan(result.target.treated_contacts);
    expect(result.net.prevented.low).toBeLessThan(truth);
    expect(result.net.prevented.high).toBeGreaterThan(truth);
    expect(result.shifted.prevented.low).toBeLessThan(0);
    expect(result.shifted.prevented.high).toBeGreaterThan(0);
    expect(result.deflection_rate).toBeCloseTo(
      result.net.prevented.estimate / (result.net.treated_contacts + result.net.prevented.estimate),
      10,
    );
  });

  it('refuses when a few heavy accounts make most of the contacts, saying how large a group would do', async () => {
    // One account in 50 is heavy: 40 billing contacts in the 8 weeks before exposure and 15 in
    // the window; of the others one in four writes once in the window. Each account's past
    // predicts it, so the adjusted values are not skewed, but ~4 heavy accounts in a holdout
    // of ~200 decide its mean (simulated, such holdouts cover the truth ~88% of the time).
    const campaign = await billingBanner(10);
    const tickets: Record<string, string>[] = [];
    const groups = { held: 0, treated: 0 };
    for (let i = 0; i < ACCOUNTS; i++) {
      const inGroup = isHeldOut(campaign.id, `a-${i}`, 10) ? groups.held++ : groups.treated++;
      const heavy = inGroup % 50 === 0;
      const dates = [
        ...Array.from({ length: heavy ? 40 : 0 }, (_, k) => `2026-02-${10 + (k % 18)}T10:00:00Z`),
        ...Array.from({ length: heavy ? 15 : inGroup % 4 === 1 ? 1 : 0 }, (_, k) => {
          return `2026-03-0${3 + (k % 5)}T10:00:00Z`;
        }),
      ];
      dates.forEach((created_at, k) => {
        tickets.push({
          source: 'test',
          external_id: `${i}-${k}`,
          account_id: `a-${i}`,
          reason: 'Billing',
          created_at,
        });
      });
    }
    for (let i = 0; i < ACCOUNTS; i++) {
      await t.request(`/v1/accounts/a-${i}/notices`, { key: appKey });
    }
    await t.deps.notices.exposures.flush();
    t.clock.set('2026-03-30T00:00:00Z');
    const ingested = await t.request('/v1/tickets', { method: 'POST', json: { tickets } });
    expect(ingested.status).toBe(200);
    const result = await impact(campaign.id);
    expect(result.companion.holdout.accounts).toBe(groups.held);
    for (const name of ['net', 'target']) {
      expect(result[name]).toMatchObject({ status: 'insufficient_data' });
      expect(result[name].reason).toMatch(/a few accounts make most of the .*contacts/);
      expect(result[name].needed.more_weeks).toBeNull();
      expect(result[name].needed.holdout_accounts).toBeGreaterThan(groups.held);
    }
  });

  it('refuses a group too small for a calibrated interval without blaming a few accounts when all write alike', async () => {
    // 24 accounts, about half held out (by the campaign's random id): each writes 1, 2 or 3
    // billing contacts before and in the window, so no account makes most of them, but the
    // smaller group (at most 12) counts as at most ~10 equally active accounts.
    const campaign = await billingBanner(50);
    const tickets: Record<string, string>[] = [];
    const SMALL = 24;
    for (let i = 0; i < SMALL; i++) {
      const before = 1 + (i % 3);
      const during = 1 + (Math.floor(i / 3) % 3);
      const dates = [
        ...Array.from({ length: before }, (_, k) => `2026-02-${10 + k}T10:00:00Z`),
        ...Array.from({ length: during }, (_, k) => `2026-03-0${3 + k}T10:00:00Z`),
      ];
      dates.forEach((created_at, k) => {
        tickets.push({
          source: 'test',
          external_id: `small-${i}-${k}`,
          account_id: `a-${i}`,
          reason: 'Billing',
          created_at,
        });
      });
      await t.request(`/v1/accounts/a-${i}/notices`, { key: appKey });
    }
    await t.deps.notices.exposures.flush();
    t.clock.set('2026-03-30T00:00:00Z');
    expect((await t.request('/v1/tickets', { method: 'POST', json: { tickets } })).status).toBe(
      200,
    );
    const result = await impact(campaign.id);
    expect(result.net).toMatchObject({ status: 'insufficient_data' });
    expect(result.net.reason).toMatch(
      /^too few contacts \(.*\): the \d+ (held-out|treated) accounts count as \d+(\.\d)? equally active ones/,
    );
    expect(result.net.reason).not.toMatch(/a few accounts/);
    const { treated, holdout } = result.companion;
    expect(result.net.needed.holdout_accounts).toBeGreaterThan(
      Math.min(treated.accounts, holdout.accounts),
    );
  });

  it('answers clearly when nothing can be measured yet', async () => {
    const campaign = await billingBanner(10);
    const result = await impact(campaign.id);
    expect(result.net).toMatchObject({ status: 'insufficient_data' });
    expect(result.net.reason).toBe(
      'no account has been shown or sent the campaign yet (treated 0, held out 0): there is ' +
        'nothing to compare until at least 2 accounts are in each group',
    );
    expect(result.measurement).toBe('so_far');
    expect(result.interval_kind).toBe('always_valid');
    const empty = {
      accounts: 0,
      contacts: 0,
      target_contacts: 0,
      recontact_rate: null,
      resolution_rate: null,
      cost_per_resolution_cents: null,
      csat: null,
      csat_responses: 0,
      first_response_median_hours: null,
      first_response_p90_hours: null,
      churn_rate: null,
      downgrade_rate: null,
    };
    expect(result.companion).toEqual({ treated: empty, holdout: empty });
    expect(result.deflection_rate).toBeNull();

    // Seen by everyone, but no tickets yet: still no number, and it says why.
    for (let i = 0; i < 200; i++) await t.request(`/v1/accounts/a-${i}/notices`, { key: appKey });
    await t.deps.notices.exposures.flush();
    const seen = await impact(campaign.id);
    expect(seen.net).toMatchObject({ status: 'insufficient_data' });
    expect(seen.net.reason).toMatch(/no contacts yet in either group/);
    expect(seen.net.prevented).toBeUndefined();
    expect(seen.deflection_rate).toBeNull();

    const noHoldout = await billingBanner(0);
    const answer = await impact(noHoldout.id);
    expect(answer.method).toBe('observational');
    expect(answer.observational).toMatchObject({ status: 'insufficient_data' });
    // Without a holdout there is nothing to wait for: the estimate is the observational one.
    for (const name of ['net', 'target', 'shifted']) {
      expect(answer[name]).toEqual({
        status: 'insufficient_data',
        reason:
          'the campaign has no holdout: its estimate is observational, for its target reasons ' +
          '(see observational)',
        needed: { more_weeks: null, holdout_accounts: null },
      });
    }
  });

  it('estimates without a holdout from the spike the linked event usually brings', async () => {
    // Every fourth Monday a billing run; billing contacts: 40 a week, 100 in billing weeks.
    const event = await readJson(
      await t.request('/v1/events', {
        method: 'POST',
        json: {
          kind: 'billing_run',
          title: 'Billing run',
          starts_at: '2025-06-02T06:00:00Z',
          ends_at: '2025-06-02T12:00:00Z',
          rrule: 'FREQ=WEEKLY;INTERVAL=4',
          affected_reasons: ['billing'],
        },
      }),
    );
    const monday = (week: number) =>
      new Date(Date.parse('2025-06-02T00:00:00Z') + week * 7 * 86_400_000);
    const tickets: Record<string, string>[] = [];
    // 60 weeks before the campaign (a year and more, to learn the season), then its window:
    // the campaign's billing week 60 and week 61, and the 14 days after it ends (62).
    // A small deterministic wobble stands in for noise; the campaign takes 40 contacts off.
    const wobble = (week: number) => ((week * 3) % 5) - 2;
    let observed = 0;
    for (let week = 0; week < 63; week++) {
      const usual = (week % 4 === 0 ? 100 : 40) + wobble(week);
      const count = week === 60 ? usual - 40 : usual;
      if (week >= 60) observed += count;
      for (let k = 0; k < count; k++) {
        tickets.push({
          source: 'obs',
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
    for (let i = 0; i < tickets.length; i += 5_000) {
      const batch = tickets.slice(i, i + 5_000);
      expect(
        (await t.request('/v1/tickets', { method: 'POST', json: { tickets: batch } })).status,
      ).toBe(200);
    }
    // Published as it starts: a campaign reaches accounts from its publication.
    t.clock.set(monday(60));
    const campaign = await createCampaign(t, {
      channels: ['banner'],
      title: 'Your invoice changes this month',
      event_id: event.id,
      target_reasons: ['billing'],
      starts_at: monday(60).toISOString(),
      ends_at: monday(61).toISOString(),
    });
    t.clock.set(monday(64));
    const result = await impact(campaign.id);
    expect(result.method).toBe('observational');
    // Its interval comes from simulating the observational model, as the report says too.
    expect(result.interval_kind).toBe('simulated');
    expect(result.observational).toMatchObject({
      status: 'ok',
      method: 'observational',
      observed,
    });
    // Truth: 40 of the usual billing-week contacts were prevented.
    expect(result.observational.prevented.low).toBeLessThan(40);
    expect(result.observational.prevented.high).toBeGreaterThan(40);
    expect(result.observational.prevented.low).toBeGreaterThan(0);
  });

  it("warns at creation when the holdout cannot detect a 20% lift on the audience's contacts", async () => {
    const create = async (holdout: number) =>
      readJson(
        await t.request('/v1/campaigns', {
          method: 'POST',
          json: {
            channels: ['banner'],
            title: 'Price change',
            audience: { type: 'all' },
            target_reasons: ['billing'],
            holdout_percent: holdout,
            starts_at: '2026-03-02T09:00:00Z',
            ends_at: '2026-03-09T09:00:00Z',
          },
        }),
      );
    const before = await create(10);
    expect(before.warnings).toMatchObject([
      { code: 'holdout_too_small', minimum_detectable_lift: null },
    ]);

    // Three billing contacts per account in the last eight weeks.
    const tickets = Array.from({ length: ACCOUNTS * 3 }, (_, i) => ({
      source: 'power',
      external_id: String(i),
      account_id: `a-${i % ACCOUNTS}`,
      reason: 'Billing',
      created_at: new Date(
        Date.parse('2026-01-10T10:00:00Z') + (i % 40) * 86_400_000,
      ).toISOString(),
    }));
    for (let i = 0; i < tickets.length; i += 5_000) {
      await t.request('/v1/tickets', {
        method: 'POST',
        json: { tickets: tickets.slice(i, i + 5_000) },
      });
    }
    expect((await create(20)).warnings).toEqual([]);
    const small = await create(5);
    expect(small.warnings[0].code).toBe('holdout_too_small');
    expect(small.warnings[0].minimum_detectable_lift).toBeGreaterThan(0.2);
    expect(small.warnings[0].message).toContain('5% holdout');
    // Past 100%, a lift is not a figure to quote: nothing the campaign could do would show.
    const few = await readJson(
      await t.request('/v1/campaigns', {
        method: 'POST',
        json: {
          channels: ['banner'],
          title: 'Price change for a few',
          audience: { type: 'accounts', account_ids: ['a-0', 'a-1', 'a-2', 'a-3', 'a-4', 'a-5'] },
          target_reasons: ['billing'],
          holdout_percent: 50,
          starts_at: '2026-03-02T09:00:00Z',
          ends_at: '2026-03-09T09:00:00Z',
        },
      }),
    );
    const [hopeless] = few.warnings;
    expect(hopeless.minimum_detectable_lift).toBeGreaterThanOrEqual(1);
    expect(hopeless.message).toBe(
      'With 6 accounts and a 50% holdout, this campaign cannot show a lift in net prevented ' +
        'contacts: even preventing every one of its target contacts would likely go unnoticed. ' +
        'Raise the holdout or widen the audience.',
    );
  });

  it('gives the unadjusted shifted contacts an interval of their own, not a point', async () => {
    const campaign = await billingBanner(10);
    for (let i = 0; i < ACCOUNTS; i++) {
      await t.request(`/v1/accounts/a-${i}/notices`, { key: appKey });
    }
    await t.deps.notices.exposures.flush();
    // Held out: a billing contact in every other account. Treated: one in five, and shipping
    // contacts in three of ten instead. Nobody wrote before exposure, so the adjustment has
    // nothing to adjust by: the unadjusted estimates are the adjusted ones, intervals included.
    const tickets: Record<string, string>[] = [];
    const seen = { treated: 0, held: 0 };
    for (let i = 0; i < ACCOUNTS; i++) {
      const heldOut = isHeldOut(campaign.id, `a-${i}`, 10);
      const inGroup = heldOut ? seen.held++ : seen.treated++;
      const reason = heldOut
        ? inGroup % 2 === 0 && 'Billing'
        : inGroup % 10 < 2
          ? 'Billing'
          : inGroup % 10 < 5 && 'Shipping';
      if (!reason) continue;
      tickets.push({
        source: 'test',
        external_id: `${i}`,
        account_id: `a-${i}`,
        reason,
        created_at: `2026-03-0${3 + (i % 5)}T10:00:00Z`,
      });
    }
    t.clock.set('2026-03-30T00:00:00Z');
    expect((await t.request('/v1/tickets', { method: 'POST', json: { tickets } })).status).toBe(
      200,
    );
    const { shifted } = await impact(campaign.id);
    expect(shifted.status).toBe('ok');
    expect(shifted.prevented.high - shifted.prevented.low).toBeGreaterThan(0);
    for (const end of ['estimate', 'low', 'high'] as const) {
      expect(shifted.unadjusted[end]).toBeCloseTo(shifted.prevented[end], 6);
    }
  });

  it('answers 404 for an unknown campaign', async () => {
    await expectProblem(
      await t.request('/v1/campaigns/0192f0c4-0000-7000-8000-000000000000/impact', {
        key: analystKey,
      }),
      404,
      'not_found',
    );
  });
});
