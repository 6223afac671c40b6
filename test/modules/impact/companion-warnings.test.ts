import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { rowsOf } from '../../../src/db/json-param';
import { isHeldOut } from '../../../src/modules/campaigns/holdout';
import { measureAndStore } from '../../../src/modules/impact/stored-measurements';
import { createCampaign } from '../../helpers/campaigns';
import { startPacedApp } from '../../helpers/paced-app';
import { readJson } from '../../helpers/read-json';

// The test clock starts at 2026-03-02T09:00:00Z; the campaign runs a week, measured 14 days after.
const START = '2026-03-02T09:00:00Z';
const AFTER_WINDOW = '2026-03-30T00:00:00Z';
const ACCOUNTS = 600;
const HOLDOUT = 50;

type Ticket = Record<string, string | number>;

// An audience of 600 accounts, each exposed through the app: time limits follow the start.
const paced = await startPacedApp(20);

/**
 * The companion warnings compare rates of contacts, but contacts come in accounts: a few
 * accounts that write many tickets are a few observations, not many. A warning needs a
 * difference that the accounts bear out, and fires for a real, widespread one.
 */
describe('companion warnings, contacts clustered by account', { timeout: paced.timeout }, () => {
  const t = paced.t;
  let appKey: string;
  let analystKey: string;
  beforeAll(async () => {
    await t.request('/v1/reasons/billing', { method: 'PUT', json: { label: 'Billing' } });
    appKey = await t.keyFor('app');
    analystKey = await t.keyFor('analyst');
    const accounts = Array.from({ length: ACCOUNTS }, (_, i) => ({ id: `w-${i}` }));
    expect(
      (await t.request('/v1/accounts/batch', { method: 'POST', json: { accounts } })).status,
    ).toBe(200);
  }, paced.hookTimeout);
  afterAll(() => t.close());
  beforeEach(async () => {
    await t.deps.db.execute(
      sql`truncate campaigns, tickets, reason_weeks, reason_days, exposure_log cascade`,
    );
    t.deps.notices.catalog.invalidate();
    t.clock.set(START);
  });

  /** A billing banner for every account, each account exposed; which ones are held out. */
  async function exposedCampaign() {
    const campaign = await createCampaign(t, {
      channels: ['banner'],
      title: 'New invoice layout',
      target_reasons: ['billing'],
      holdout_percent: HOLDOUT,
      starts_at: START,
      ends_at: '2026-03-09T09:00:00Z',
    });
    for (let i = 0; i < ACCOUNTS; i++) {
      await t.request(`/v1/accounts/w-${i}/notices`, { key: appKey });
    }
    await t.deps.notices.exposures.flush();
    return { campaign, heldOut: (i: number) => isHeldOut(campaign.id, `w-${i}`, HOLDOUT) };
  }

  /** A billing ticket `hours` after 2026-03-03T00:00Z, rated `csat`. */
  const ticket = (id: string, account: number, hours: number, csat: number): Ticket => ({
    source: 'test',
    external_id: id,
    account_id: `w-${account}`,
    reason: 'Billing',
    created_at: new Date(Date.parse('2026-03-03T00:00:00Z') + hours * 3_600_000).toISOString(),
    csat,
  });

  async function impactAfter(tickets: Ticket[], id: string) {
    t.clock.set(AFTER_WINDOW);
    expect((await t.request('/v1/tickets', { method: 'POST', json: { tickets } })).status).toBe(
      200,
    );
    const response = await t.request(`/v1/campaigns/${id}/impact`, { key: analystKey });
    expect(response.status).toBe(200);
    return readJson(response);
  }

  /**
   * Each account's billing contacts: 0, 1, 2, 3 or 8 held out, 0, 1, 2, 3 or 7 treated (fewer:
   * the net estimate is above 0), by its place in its group. An account's contacts share its
   * lot: all rated 2 when `unhappy` (else 5), all but the first re-contacts when `comesBack`
   * (a day apart, else 60 hours apart).
   */
  function tickets(
    heldOut: (i: number) => boolean,
    lot: (
      k: number,
      contacts: number,
      treated: boolean,
    ) => { unhappy: boolean; comesBack: boolean },
  ) {
    const all: Ticket[] = [];
    const next = { treated: 0, held: 0 };
    for (let i = 0; i < ACCOUNTS; i++) {
      const treated = !heldOut(i);
      const k = treated ? next.treated++ : next.held++;
      const contacts = (treated ? [0, 1, 2, 3, 7] : [0, 1, 2, 3, 8])[k % 5] as number;
      const { unhappy, comesBack } = lot(k, contacts, treated);
      for (let j = 0; j < contacts; j++) {
        all.push(ticket(`${i}-${j}`, i, 10 + j * (comesBack ? 24 : 60), unhappy ? 2 : 5));
      }
    }
    return all;
  }

  /** One held-out account in five unhappy, another one in five coming back, in blocks of 5. */
  const heldOutLot = (k: number) => ({
    unhappy: Math.floor(k / 5) % 5 === 0,
    comesBack: Math.floor(k / 5) % 5 === 2,
  });

  it('do not fire when a few treated accounts write many unhappy re-contacts', async () => {
    const { campaign, heldOut } = await exposedCampaign();
    // Treated accounts as held-out ones, except one in ten of those with 7 contacts (about
    // six of some 300) also unhappy, and another one in ten also coming back. Contact by
    // contact, CSAT is lower and re-contacts higher, by far more than a test of independent
    // contacts puts down to chance; account by account, a handful of accounts differ.
    const result = await impactAfter(
      tickets(heldOut, (k, contacts, treated) => {
        const lot = heldOutLot(k);
        if (!treated || contacts !== 7) return lot;
        const block = Math.floor(k / 5) % 10;
        return { unhappy: lot.unhappy || block === 1, comesBack: lot.comesBack || block === 3 };
      }),
      campaign.id,
    );
    expect(result.net.status).toBe('ok');
    expect(result.net.prevented.estimate).toBeGreaterThan(0);
    const { treated: tg, holdout: hg } = result.companion;
    expect(hg.csat - tg.csat).toBeGreaterThan(0.04);
    expect(tg.recontact_rate - hg.recontact_rate).toBeGreaterThan(0.03);
    expect(result.warnings).toEqual([]);

    // The job stores what the warnings read: each group's sums over its accounts.
    expect(await measureAndStore(t.deps, t.clock.now())).toBe(1);
    const [row] = rowsOf<{ held: string }>(
      await t.deps.db.execute(
        sql`select (measurement -> 'groups' -> 'holdout')::text as held from campaign_measurements`,
      ),
    );
    const held = JSON.parse(row?.held ?? 'null');
    const squares = Array.from({ length: hg.accounts }, (_, k) => [0, 1, 4, 9, 64][k % 5] ?? 0);
    expect(held.perAccount.recontacts).toMatchObject({
      accounts: hg.accounts - Math.ceil(hg.accounts / 5),
      y: held.recontacts,
      x: hg.contacts,
      xx: squares.reduce((sum, v) => sum + v, 0),
    });
    expect(held.perAccount.csat).toMatchObject({
      y: held.csat.satisfied,
      x: hg.csat_responses,
      // An account's contacts are all satisfied or none: y = x or 0, so y² = x·y, account by account.
      yy: held.perAccount.csat.xy,
    });
  });

  it('fire when treated accounts across the board rate lower and come back more', async () => {
    const { campaign, heldOut } = await exposedCampaign();
    // Treated: two accounts in five unhappy, one in two coming back, whatever their contacts.
    const result = await impactAfter(
      tickets(heldOut, (k, _contacts, treated) =>
        treated
          ? { unhappy: Math.floor(k / 5) % 5 < 2, comesBack: Math.floor(k / 5) % 2 === 1 }
          : heldOutLot(k),
      ),
      campaign.id,
    );
    expect(result.net.status).toBe('ok');
    expect(result.net.prevented.estimate).toBeGreaterThan(0);
    const codes = result.warnings.map((w: { code: string }) => w.code).sort();
    expect(codes).toEqual(['csat_down', 'recontacts_up']);
    const messages = result.warnings.map((w: { message: string }) => w.message).join(' ');
    // The rates are over the contacts that still arrived, which the campaign itself selects:
    // the warning says what it compares, not that the campaign made service worse.
    expect(messages).toContain('CSAT of the contacts that still arrived');
    expect(messages).toContain('re-contacts within 48 h among the contacts that still arrived');
    expect(messages).not.toContain('CSAT fell');
  });
});
