import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isHeldOut } from '../../src/modules/campaigns/holdout';
import { consoleClient } from '../helpers/console-client';
import { publishCampaign } from '../helpers/notices';
import { readJson } from '../helpers/read-json';
import { startTestApp, type TestApp } from '../helpers/test-app';

// Campaigns run a week from the test clock's start and are measured 14 days after.
const START = '2026-03-02T09:00:00Z';
const AFTER_WINDOW = '2026-03-30T00:00:00Z';
const ACCOUNTS = 400;
const HOLDOUT = 25;

/** Billing contacts an account makes in the window, by its group and its place in it. */
type Contacts = (heldOut: boolean, inGroup: number) => number;

describe('the console campaign impact page', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
    await t.request('/v1/reasons/billing', { method: 'PUT', json: { label: 'Billing' } });
  });
  afterAll(() => t.close());

  /** A campaign for a plan of its own, every account of it exposed, then its contacts. */
  async function measuredCampaign(plan: string, contacts: Contacts) {
    t.clock.set(START);
    const accounts = Array.from({ length: ACCOUNTS }, (_, i) => ({ id: `${plan}-${i}`, plan }));
    await t.request('/v1/accounts/batch', { method: 'POST', json: { accounts } });
    const campaign = await publishCampaign(t, {
      channels: ['banner'],
      title: `Invoices for ${plan}`,
      body: 'Your invoice layout changes next week.',
      severity: 'info',
      audience: { type: 'rule', all: [{ attribute: 'plan', op: 'eq', value: plan }] },
      target_reasons: ['billing'],
      holdout_percent: HOLDOUT,
      starts_at: START,
      ends_at: '2026-03-09T09:00:00Z',
      publish: true,
    });
    const app = await t.keyFor('app');
    for (const { id } of accounts) await t.request(`/v1/accounts/${id}/notices`, { key: app });
    await t.deps.notices.exposures.flush();
    const seen = { treated: 0, held: 0 };
    const tickets = accounts.flatMap(({ id }) => {
      const heldOut = isHeldOut(campaign.id, id, HOLDOUT);
      const inGroup = heldOut ? seen.held++ : seen.treated++;
      return Array.from({ length: contacts(heldOut, inGroup) }, (_, k) => ({
        source: plan,
        external_id: `${id}-${k}`,
        account_id: id,
        reason: 'Billing',
        created_at: `2026-03-0${4 + k}T10:00:00Z`,
      }));
    });
    t.clock.set(AFTER_WINDOW);
    expect((await t.request('/v1/tickets', { method: 'POST', json: { tickets } })).status).toBe(
      200,
    );
    const impact = await readJson(await t.request(`/v1/campaigns/${campaign.id}/impact`));
    // Signed in once the window has closed: a session does not last the campaign's weeks.
    const analyst = consoleClient(t);
    await analyst.signIn(await t.keyFor('analyst'));
    const page = await analyst.get(`/console/campaigns/${campaign.id}/impact`);
    expect(page.status).toBe(200);
    const text = (await page.text()).replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');
    return { impact, text };
  }

  const count = (n: number) =>
    n.toLocaleString('en', { maximumFractionDigits: 1, minimumFractionDigits: 1 });
  const money = (cents: number) =>
    (cents / 100).toLocaleString('en', { style: 'currency', currency: 'USD' });

  it('says an effect whose interval holds zero is not distinguishable from none, and claims no deflection or savings', async () => {
    // Every other account writes once about billing, treated or held out: no effect at all.
    const { impact, text } = await measuredCampaign('same', (_, inGroup) => (inGroup % 2 ? 0 : 1));
    const { prevented } = impact.net;
    expect(impact.net.status).toBe('ok');
    expect(prevented.low).toBeLessThan(0);
    expect(prevented.high).toBeGreaterThan(0);
    const range = `the 95% interval runs from ${count(prevented.low)} to ${count(prevented.high)}`;
    expect(text).toContain(`not distinguishable from no effect: ${range}`);
    // Neither deflection nor savings read as an achieved result.
    expect(text).not.toContain('of the contacts the treated accounts would have made did not');
    expect(text).toContain('Deflection rate: not distinguishable from none');
    const saved = impact.net.savings_cents;
    expect(text).toContain(
      `not distinguishable from $0.00 (${money(saved.low)} to ${money(saved.high)})`,
    );
  });

  it('states a deflection rate and savings with their intervals when the effect is clear', async () => {
    // Held out: 1 or 2 billing contacts each; treated: one account in five writes once.
    const { impact, text } = await measuredCampaign('clear', (heldOut, inGroup) =>
      heldOut ? 1 + (inGroup % 2) : inGroup % 5 ? 0 : 1,
    );
    const { prevented, treated_contacts: treated } = impact.net;
    expect(prevented.low).toBeGreaterThan(0);
    expect(text).not.toContain('not distinguishable');
    const percent = (p: number) => `${((p / (treated + p)) * 100).toFixed(1)}%`;
    expect(text).toContain(
      `Deflection rate: ${percent(prevented.estimate)} (95% interval ${percent(prevented.low)} ` +
        `to ${percent(prevented.high)}) of the contacts the treated accounts would have made did ` +
        'not happen.',
    );
    const saved = impact.net.savings_cents;
    expect(text).toContain(
      `${money(saved.estimate)} (95% interval ${money(saved.low)} to ${money(saved.high)})`,
    );
  });
});
