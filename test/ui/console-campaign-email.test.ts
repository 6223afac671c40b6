import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isHeldOut } from '../../src/modules/campaigns/holdout';
import { sendDueEmails } from '../../src/modules/email/delivery/send-due-emails';
import { suppressAddress } from '../../src/modules/email/recipients/suppressions.service';
import { consolidateExposures } from '../../src/modules/notices/consolidate-exposures';
import { consoleClient } from '../helpers/console-client';
import { publishCampaign } from '../helpers/notices';
import { startTestApp, type TestApp } from '../helpers/test-app';

const ZONES = ['America/Los_Angeles', 'Europe/Berlin', 'Asia/Tokyo'] as const;

describe('the console email campaign view and campaign page', () => {
  let t: TestApp;
  let opsKey: string;
  let emailId: string;
  let bannerId: string;
  beforeAll(async () => {
    t = await startTestApp();
    opsKey = await t.keyFor('ops');
    t.clock.set('2026-03-02T06:00:00Z');
    const accounts = Array.from({ length: 60 }, (_, i) => ({
      id: `acct-${String(i).padStart(3, '0')}`,
      plan: i < 30 ? 'pro' : 'free',
      time_zone: ZONES[i % 3],
      contacts: [{ email: `owner${i}@example.com`, name: `Owner ${i}` }],
    }));
    await t.request('/v1/accounts/batch', { method: 'POST', json: { accounts } });
    await suppressAddress(t.deps, 'owner5@example.com', 'unsubscribed', null);
    emailId = (
      await publishCampaign(t, {
        channels: ['email'],
        title: 'Price change on {{plan}}',
        body: 'Hello {{name}}, prices change next month.',
        severity: 'info',
        audience: { type: 'rule', all: [{ attribute: 'plan', op: 'eq', value: 'pro' }] },
        email: { template: 'announcement', local_time: '09:00' },
        publish: true,
      })
    ).id;
    bannerId = (
      await publishCampaign(t, {
        channels: ['banner'],
        title: 'Dashboard is slow',
        body: 'We are on it.',
        severity: 'warning',
        audience: { type: 'all' },
        holdout_percent: 10,
        publish: true,
      })
    ).id;
  });
  afterAll(() => t.close());

  it('previews the email one chosen recipient gets, placeholders filled, at 09:00 their time', async () => {
    const browser = consoleClient(t);
    await browser.signIn(opsKey);
    const page = await browser.get(`/console/campaigns/${emailId}/email?account=acct-003`);
    expect(page.status).toBe(200);
    const markup = await page.text();
    const srcdoc = /title="Email preview" sandbox="" srcdoc="([^"]*)"/.exec(markup)?.[1] ?? '';
    expect(srcdoc).toContain('Hello Owner 3, prices change next month.');
    expect(srcdoc).not.toContain('{{');
    expect(markup).toContain('<strong>Price change on pro</strong>');
    // Los Angeles' 09:00 on the day the campaign starts (06:00 UTC) is past: due at once.
    expect(markup).toContain('To <strong>owner3@example.com</strong>');
    expect(markup).toContain(
      'planned for <time datetime="2026-03-02T06:00:00.000Z">2026-03-02 06:00 UTC</time>',
    );
    const berlin = await (
      await browser.get(`/console/campaigns/${emailId}/email?account=acct-001`)
    ).text();
    // 09:00 CET
    expect(berlin).toContain('datetime="2026-03-02T08:00:00.000Z">2026-03-02 08:00 UTC</time>');
    expect(markup).toContain('Each recipient gets it at 09:00 in their own time zone');
    const other = await (
      await browser.get(`/console/campaigns/${emailId}/email?account=acct-031`)
    ).text();
    expect(other).toContain('This account is not in the audience: it gets nothing.');
  });

  it('lists deliveries with their states, counts, send times per zone and suppressions', async () => {
    const browser = consoleClient(t);
    await browser.signIn(opsKey);
    t.clock.set('2026-03-02T06:30:00Z'); // Berlin's 09:00 (08:00 UTC) is still to come.
    const sent = await sendDueEmails(t.deps);
    expect(sent.sent).toBe(19);
    const base = `/console/campaigns/${emailId}/email`;
    const markup = await (await browser.get(base)).text();
    expect(markup).toContain('queued (10)');
    expect(markup).toContain('sent (19)');
    expect(markup).toContain('suppressed (1)');
    const berlinRows = markup.match(
      /<td><span class="pill">queued<\/span><\/td><td>2026-03-02 09:00 Europe\/Berlin<\/td>/g,
    );
    expect(berlinRows).toHaveLength(10);
    const suppressions = markup.slice(markup.indexOf('id="suppressions-h"'));
    expect(suppressions).toContain('owner5@example.com');
    expect(suppressions).toContain('unsubscribed');
    const queued = await (await browser.get(`${base}?status=queued`)).text();
    const table = queued.slice(queued.indexOf('id="deliveries-h"'));
    expect(table.match(/<span class="pill">queued<\/span>/g)).toHaveLength(10);
    expect(table).not.toContain('<span class="pill">sent</span>');
    const first = await (await browser.get(base)).text();
    const rowsOf = (page: string) =>
      page.match(/<td><a href="\/console\/accounts\/acct-\d+/g) ?? [];
    expect(rowsOf(first)).toHaveLength(30);
    const bad = await browser.get(`${base}?status=lost&cursor=zzz`);
    expect(bad.status).toBe(400);
    const badText = await bad.text();
    expect(badText).toContain('&quot;lost&quot; is not a delivery state.');
    expect(badText).toContain('That page link is not one this console made');
  });

  it('shows a campaign’s reach, exposures, dismissals and, to those who may read it, its impact', async () => {
    for (let i = 0; i < 20; i++) {
      const id = `acct-${String(i).padStart(3, '0')}`;
      const read = await t.request(`/v1/accounts/${id}/notices`, { key: await t.keyFor('app') });
      expect(read.status).toBe(200);
    }
    const app = await t.keyFor('app');
    // Two accounts the notice is shown to: a held-out account's dismissal is refused (404), and
    // which accounts the holdout keeps out depends on the campaign's id, new each run.
    const shown = Array.from({ length: 20 }, (_, i) => `acct-${String(i).padStart(3, '0')}`)
      .filter((id) => !isHeldOut(bannerId, id, 10))
      .slice(0, 2);
    for (const id of shown) {
      const dismissed = await t.request(`/v1/accounts/${id}/notices/${bannerId}/dismiss`, {
        method: 'POST',
        key: app,
      });
      expect(dismissed.status, id).toBe(204);
    }
    await t.deps.notices.exposures.flush();
    await consolidateExposures(t.deps);
    const ops = consoleClient(t);
    await ops.signIn(opsKey);
    const markup = await (await ops.get(`/console/campaigns/${bannerId}`)).text();
    const cell = (label: string) =>
      new RegExp(`<td>${label}</td><td class="n">(\\d+)</td>`).exec(markup)?.[1];
    expect(cell('Accounts in the audience now')).toBe('60');
    const treated = Number(cell('Accounts exposed \\(treated\\)'));
    const heldOut = Number(cell('Accounts held out \\(would have been exposed\\)'));
    // Each account's group comes from the holdout hash of its id and the campaign's.
    const heldOutIds = Array.from({ length: 20 }, (_, i) => `acct-${String(i).padStart(3, '0')}`);
    const expectedHeldOut = heldOutIds.filter((id) => isHeldOut(bannerId, id, 10)).length;
    expect(heldOut).toBe(expectedHeldOut);
    expect(treated).toBe(20 - expectedHeldOut);
    expect(cell('Accounts that dismissed it')).toBe('2');
    expect(markup).not.toContain(`/console/campaigns/${bannerId}/impact`);
    const admin = consoleClient(t);
    await admin.signIn(t.adminKey);
    const adminView = await (await admin.get(`/console/campaigns/${bannerId}`)).text();
    expect(adminView).toContain(`href="/console/campaigns/${bannerId}/impact"`);
    const impact = await admin.get(`/console/campaigns/${bannerId}/impact`);
    expect(impact.status).toBe(200);
    expect(await impact.text()).toContain('Net, all reasons (headline)');
    expect((await ops.get(`/console/campaigns/${bannerId}/impact`)).status).toBe(403);
  });

  it('counts only the dismissals of accounts a campaign was shown, whatever was stored before dismissals were checked', async () => {
    const app = await t.keyFor('app');
    // An email is not dismissed in the product: the API refuses, as for a notice that does not exist.
    const refused = await t.request(`/v1/accounts/acct-002/notices/${emailId}/dismiss`, {
      method: 'POST',
      key: app,
    });
    expect(refused.status).toBe(404);
    const draftId = (
      await publishCampaign(t, {
        channels: ['banner'],
        title: 'Not yet',
        body: 'Draft.',
        severity: 'info',
        audience: { type: 'all' },
        publish: false,
      })
    ).id;
    const heldOut = Array.from({ length: 20 }, (_, i) => `acct-${String(i).padStart(3, '0')}`).find(
      (id) => isHeldOut(bannerId, id, 10),
    );
    // Rows an earlier version stored without asking whether the account was shown the notice.
    const stored = [
      ['acct-002', emailId],
      ['acct-040', emailId],
      ['acct-003', draftId],
      ['acct-050', bannerId],
      ...(heldOut ? [[heldOut, bannerId]] : []),
    ];
    for (const [account, campaign] of stored) {
      await t.deps.db.execute(sql`
        insert into notice_dismissals (account_id, campaign_id, dismissed_at)
        values (${account}, ${campaign}, now()) on conflict do nothing`);
    }
    const ops = consoleClient(t);
    await ops.signIn(opsKey);
    const dismissedOf = async (id: string) => {
      const markup = await (await ops.get(`/console/campaigns/${id}`)).text();
      return /<td>Accounts that dismissed it<\/td><td class="n">(\d+)<\/td>/.exec(markup)?.[1];
    };
    expect(await dismissedOf(emailId)).toBe('0');
    expect(await dismissedOf(draftId)).toBe('0');
    expect(await dismissedOf(bannerId)).toBe('2');
  });

  it('leads an analyst from the report to each campaign’s impact page', async () => {
    const analyst = consoleClient(t);
    await analyst.signIn(await t.keyFor('analyst'));
    const report = await (await analyst.get('/console/reports')).text();
    // The campaign page is ops' alone: the report is the analyst's way to the impact page.
    expect(report).toContain(`href="/console/campaigns/${bannerId}/impact"`);
    expect((await analyst.get(`/console/campaigns/${bannerId}/impact`)).status).toBe(200);
  });

  it('states the impact window in days as a reader writes them, not as a float', async () => {
    // Ending 3 days 4 hours after it starts: a window of 17.1666… days with the default 14.
    // Published as it starts (the clock reads 06:30), so it is measured from that start.
    const { id } = await publishCampaign(t, {
      channels: ['banner'],
      title: 'Short notice',
      body: 'Soon over.',
      severity: 'info',
      audience: { type: 'all' },
      holdout_percent: 10,
      starts_at: '2026-03-02T06:30:00Z',
      ends_at: '2026-03-05T10:30:00Z',
      publish: true,
    });
    const admin = consoleClient(t);
    await admin.signIn(t.adminKey);
    const page = await (await admin.get(`/console/campaigns/${id}/impact`)).text();
    expect(page).toContain('over less than one of 17.2 days so far.');
  });

  it('refuses an analyst session the email view and campaign page, naming no recipient', async () => {
    const analyst = consoleClient(t);
    await analyst.signIn(await t.keyFor('analyst'));
    for (const path of [
      `/console/campaigns/${emailId}/email`,
      `/console/campaigns/${emailId}/email?account=acct-003`,
      `/console/campaigns/${emailId}`,
    ]) {
      const page = await analyst.get(path);
      expect(page.status).toBe(403);
      const markup = await page.text();
      expect(markup).toContain(
        'This page needs an ops or admin key; you signed in with an analyst key.',
      );
      expect(markup).not.toMatch(/owner\d+@|acct-\d+/);
    }
  });

  it('says why a published email campaign has no email planned, instead of asking to publish it', async () => {
    await t.request('/v1/accounts/batch', {
      method: 'POST',
      json: { accounts: [{ id: 'no-mail', plan: 'trial' }] },
    });
    const publishEmail = async (account_ids: string[]) =>
      (
        await publishCampaign(t, {
          channels: ['email'],
          title: 'Trial ends soon',
          body: 'Your trial ends next week.',
          severity: 'info',
          audience: { type: 'accounts', account_ids },
          email: { template: 'announcement' },
          publish: true,
        })
      ).id;
    const browser = consoleClient(t);
    await browser.signIn(opsKey);
    const pageOf = async (id: string) =>
      (await (await browser.get(`/console/campaigns/${id}`)).text()).replace(/\s+/g, ' ');
    const withoutContacts = await pageOf(await publishEmail(['no-mail']));
    expect(withoutContacts).toContain(
      'None planned: no account in its audience, outside the holdout, has an email contact (accounts are planned as the product syncs them); 0 held-out accounts.',
    );
    expect(withoutContacts).not.toContain('publish to plan them');
    // An account the product sends after publishing, with an address, is planned as it comes.
    const early = await publishEmail(['late']);
    await t.request('/v1/accounts/batch', {
      method: 'POST',
      json: { accounts: [{ id: 'late', plan: 'pro', contacts: [{ email: 'late@example.com' }] }] },
    });
    expect(await pageOf(early)).toContain('1 queued');
    const nobody = await pageOf(await publishEmail(['not-an-account']));
    expect(nobody).toContain('None planned: no account is in the audience; 0 held-out accounts.');
  });
});
