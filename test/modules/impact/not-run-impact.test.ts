import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendDueEmails } from '../../../src/modules/email/delivery/send-due-emails';
import { createCampaign } from '../../helpers/campaigns';
import { consoleClient } from '../../helpers/console-client';
import { readJson } from '../../helpers/read-json';
import { startTestApp, type TestApp } from '../../helpers/test-app';

const ACCOUNTS = 40;
const monday = (week: number) =>
  new Date(Date.parse('2025-06-02T00:00:00Z') + week * 7 * 86_400_000);

/**
 * A campaign that never ran (a draft, or cancelled before anything went out) has nothing to measure,
 * however long ago its planned window closed: no final measurement and no estimate, where a
 * leader reads impact (the API and the console), and no line in the report. One cancelled after
 * its email went out ran: it is measured, and in the report as cancelled.
 */
describe('the impact of a campaign that never ran', () => {
  let t: TestApp;
  let analystKey: string;
  beforeAll(async () => {
    t = await startTestApp();
    analystKey = await t.keyFor('analyst');
    await t.request('/v1/reasons/billing', { method: 'PUT', json: { label: 'Billing' } });
    await t.request('/v1/accounts/batch', {
      method: 'POST',
      json: { accounts: Array.from({ length: ACCOUNTS }, (_, i) => ({ id: `a-${i}` })) },
    });
  });
  afterAll(() => t.close());

  const create = (title: string, holdout: number, publish: boolean) =>
    createCampaign(t, {
      channels: ['banner'],
      title,
      target_reasons: ['billing'],
      holdout_percent: holdout,
      starts_at: monday(60).toISOString(),
      ends_at: monday(61).toISOString(),
      publish,
    });
  const impact = async (id: string) =>
    readJson(await t.request(`/v1/campaigns/${id}/impact`, { key: analystKey }));

  it('reads as not run, not final, with no estimate, in the API, the console and the report', async () => {
    t.clock.set(monday(58));
    const draft = await create('Draft with a holdout', 10, false);
    const draftWithoutHoldout = await create('Draft without a holdout', 0, false);
    const cancelled = await create('Cancelled before it started', 10, true);
    expect(
      (
        await t.request(`/v1/campaigns/${cancelled.id}`, {
          method: 'PATCH',
          json: { status: 'cancelled' },
        })
      ).status,
    ).toBe(200);
    // Cancelled after its heads-up email went out (a day before its start): it ran.
    await t.request('/v1/accounts/batch', {
      method: 'POST',
      json: {
        accounts: ['e-0', 'e-1', 'e-2'].map((id) => ({
          id,
          plan: 'pro',
          contacts: [{ email: `${id}@example.com`, name: id }],
        })),
      },
    });
    const emailed = await createCampaign(t, {
      channels: ['email'],
      title: 'Heads-up, then cancelled',
      audience: { type: 'rule', all: [{ attribute: 'plan', op: 'eq', value: 'pro' }] },
      target_reasons: ['billing'],
      starts_at: monday(60).toISOString(),
      ends_at: monday(61).toISOString(),
      email: { template: 'announcement', send_at: monday(59).toISOString() },
    });
    t.clock.set(new Date(monday(59).getTime() + 3_600_000));
    expect((await sendDueEmails(t.deps)).sent).toBe(3);
    expect(
      (
        await t.request(`/v1/campaigns/${emailed.id}`, {
          method: 'PATCH',
          json: { status: 'cancelled' },
        })
      ).status,
    ).toBe(200);

    // Long after the windows would have closed (14 days after the planned end), 63 weeks of
    // billing contacts, 40 a week with a small wobble, 20 fewer in week 60: history enough for
    // an observational estimate of a campaign planned for weeks 60–61.
    t.clock.set(monday(64));
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
    expect((await t.request('/v1/tickets', { method: 'POST', json: { tickets } })).status).toBe(
      200,
    );

    const cases = [
      [draft, 'draft', /draft/],
      [draftWithoutHoldout, 'draft', /draft/],
      [cancelled, 'cancelled', /cancelled/],
    ] as const;
    for (const [campaign, status, said] of cases) {
      const answer = await impact(campaign.id);
      expect(answer).toMatchObject({ campaign_status: status, measurement: 'not_run' });
      expect(answer.interval_kind).toBeNull();
      expect(answer.window.elapsed_days).toBe(0);
      for (const name of ['net', 'target', 'shifted']) {
        expect(answer[name].status).toBe('insufficient_data');
        expect(answer[name].reason).toMatch(said);
        expect(answer[name].prevented).toBeUndefined();
      }
      expect(answer.companion.treated.accounts).toBe(0);
      expect(answer.deflection_rate).toBeNull();
    }
    const sent = await impact(emailed.id);
    expect(sent).toMatchObject({ campaign_status: 'cancelled', measurement: 'final' });
    expect(sent.companion.treated.accounts).toBe(3);

    // The weeks before predict more than came: no campaign prevented them, so no number.
    const observed = await impact(draftWithoutHoldout.id);
    expect(observed.observational.status).toBe('insufficient_data');
    expect(observed.observational.reason).toMatch(/draft/);
    expect(observed.observational.prevented).toBeUndefined();

    const analyst = consoleClient(t);
    await analyst.signIn(analystKey);
    for (const [campaign] of cases) {
      const page = await analyst.get(`/console/campaigns/${campaign.id}/impact`);
      expect(page.status).toBe(200);
      const markup = await page.text();
      expect(markup).not.toContain('(final)');
      expect(markup).toContain('has not run: there is nothing to measure');
      expect(markup).not.toContain('Net, all reasons (headline)');
    }

    const report = await readJson(
      await t.request(
        `/v1/reports/prevented-contacts?from=${monday(59).toISOString().slice(0, 10)}&to=${monday(63).toISOString().slice(0, 10)}`,
        { key: analystKey },
      ),
    );
    // Only the campaign that reached accounts before it was cancelled, shown as cancelled.
    expect(report.campaigns.map((c: { id: string; status: string }) => [c.id, c.status])).toEqual([
      [emailed.id, 'cancelled'],
    ]);
    expect(report.totals.campaigns).toBe(1);
    // Without a holdout: its observational estimate, as the impact API gives it.
    expect(sent.observational.status).toBe('ok');
    expect(report.campaigns[0].prevented).toEqual(sent.observational.prevented);
  });
});
