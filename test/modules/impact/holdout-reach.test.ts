import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rowsOf } from '../../../src/db/json-param';
import { isHeldOut } from '../../../src/modules/campaigns/holdout';
import { sendDueEmails } from '../../../src/modules/email/delivery/send-due-emails';
import { measureAndStore } from '../../../src/modules/impact/stored-measurements';
import { createCampaign } from '../../helpers/campaigns';
import { consoleClient } from '../../helpers/console-client';
import { readJson } from '../../helpers/read-json';
import { startTestApp, type TestApp } from '../../helpers/test-app';

/**
 * An address gets a campaign's email once. When a held-out account shares it with a treated
 * one, the held-out account is emailed anyway: the impact answer says how many were.
 */
describe('held-out accounts emailed through a shared address', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
    await t.deps.db.execute(sql`truncate campaigns, accounts, events, tickets cascade`);
  });
  afterAll(() => t.close());

  it('counts them in the impact answer and on the console impact page, once the email is sent', async () => {
    t.clock.set('2026-03-02T09:00:00Z');
    const drafted = await createCampaign(t, {
      channels: ['email'],
      title: 'New invoices',
      body: 'Invoices move to the first of the month.',
      severity: 'info',
      starts_at: '2026-03-03T09:00:00Z',
      ends_at: '2026-03-05T09:00:00Z',
      holdout_percent: 50,
      email: { template: 'announcement' },
      publish: false,
    });
    const campaignId = drafted.id as string;
    const named = (prefix: string, held: boolean) => {
      for (let n = 0; ; n++) {
        if (isHeldOut(campaignId, `${prefix}-${n}`, 50) === held) return `${prefix}-${n}`;
      }
    };
    // Held out ahead of the treated account in id order, so the address is still free for it.
    const sharing = named('a-client', true);
    const alone = named('solo', true);
    const treated = named('b-agency', false);
    const contact = (email: string) => ({ email, name: email.split('@')[0] });
    const accounts = await t.request('/v1/accounts/batch', {
      method: 'POST',
      json: {
        accounts: [
          { id: sharing, contacts: [contact('billing@agency.example')] },
          { id: alone, contacts: [contact('solo@example.com')] },
          { id: treated, contacts: [contact('billing@agency.example')] },
        ].map((a) => ({ ...a, plan: 'pro', time_zone: 'UTC' })),
      },
    });
    expect(accounts.status, await accounts.clone().text()).toBe(200);
    const published = await t.request(`/v1/campaigns/${campaignId}`, {
      method: 'PATCH',
      json: { status: 'scheduled' },
    });
    expect(published.status, await published.clone().text()).toBe(200);

    const analyst = await t.keyFor('analyst');
    const reached = async () => {
      const impact = await t.request(`/v1/campaigns/${campaignId}/impact`, { key: analyst });
      expect(impact.status).toBe(200);
      return (await readJson(impact)).holdout_reached;
    };
    // Before the moment neither account is held out yet, and nothing was sent.
    expect(await reached()).toEqual({ accounts: 0, held_out: 0 });

    t.clock.set('2026-03-03T09:05:00Z');
    expect((await sendDueEmails(t.deps)).sent).toBe(1);
    expect(await reached()).toEqual({ accounts: 1, held_out: 2 });

    const browser = consoleClient(t);
    await browser.signIn(analyst);
    const page = await browser.get(`/console/campaigns/${campaignId}/impact`);
    expect(page.status).toBe(200);
    const markup = await page.text();
    expect(markup).toContain(
      '1 of the 2 held-out accounts got this email anyway, at an address they share',
    );
    expect(markup).toContain('over less than one of 16 days so far');
    const groups = markup.slice(markup.indexOf('Treated and held-out accounts'));
    expect(groups.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ')).toContain('Accounts 1 2');

    // The leaders' report says it too, from the measurement the job stores.
    const report = (format = 'json') =>
      t.request(`/v1/reports/prevented-contacts?from=2026-03-01&to=2026-03-31&format=${format}`, {
        key: analyst,
      });
    const [measured] = (await readJson(await report())).campaigns;
    expect(measured.holdout_reached).toEqual({ accounts: 1, held_out: 2 });
    const csv = await (await report('csv')).text();
    const header = (csv.split('\n')[0] ?? '').split(',');
    const holdoutRow = csv
      .split('\n')
      .find((line) => line.startsWith('campaign_group,') && line.includes(',holdout,'));
    expect(holdoutRow?.split(',')[header.indexOf('emailed_anyway')]).toBe('1');
    expect(await (await report('html')).text()).toContain(
      '1 of 2 held out were emailed anyway (shared addresses): understated',
    );

    // A settled measurement stored before the count existed is measured again by the job.
    t.clock.set('2026-04-20T00:00:00Z');
    expect(await measureAndStore(t.deps, t.clock.now())).toBe(1);
    expect(await measureAndStore(t.deps, t.clock.now())).toBe(0);
    await t.deps.db.execute(sql`
      update campaign_measurements
      set measurement = measurement #- '{groups,holdout,emailedAnyway}'`);
    expect(await measureAndStore(t.deps, t.clock.now())).toBe(1);
    const [stored] = rowsOf<{ emailed: number }>(
      await t.deps.db.execute(sql`
        select (measurement -> 'groups' -> 'holdout' ->> 'emailedAnyway')::int as emailed
        from campaign_measurements`),
    );
    expect(stored?.emailed).toBe(1);
  });

  it('shows a campaign without a holdout its observational estimate instead of the groups', async () => {
    const created = await createCampaign(t, {
      channels: ['banner'],
      title: 'Price change',
      body: 'Prices change on the first.',
      holdout_percent: 0,
      // A draft has not run: its page says so instead (not-run-impact.test.ts).
      publish: true,
    });
    const browser = consoleClient(t);
    await browser.signIn(await t.keyFor('analyst'));
    const page = await browser.get(`/console/campaigns/${created.id}/impact`);
    expect(page.status).toBe(200);
    const markup = await page.text();
    expect(markup).toContain('Measured observationally');
    expect(markup).toContain('Without a holdout');
    expect(markup).not.toContain('Treated and held-out accounts');
    // Nor holdout estimates that can never come, as if they were waiting for accounts.
    expect(markup).not.toContain('Net, all reasons (headline)');
    expect(markup).not.toContain('accounts in each group');
  });
});
