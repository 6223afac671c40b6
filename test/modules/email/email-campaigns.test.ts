import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { rowsOf } from '../../../src/db/json-param';
import { isHeldOut } from '../../../src/modules/campaigns/holdout';
import { sendDueEmails } from '../../../src/modules/email/delivery/send-due-emails';
import { createCampaign } from '../../helpers/campaigns';
import { expectProblem } from '../../helpers/problem';
import { readJson } from '../../helpers/read-json';
import { startTestApp, type TestApp } from '../../helpers/test-app';

const ZONES = ['America/Los_Angeles', 'Europe/Berlin', 'Asia/Tokyo'] as const;

type DeliveryRow = {
  account_id: string;
  email: string;
  status: string;
  scheduled_for: Date | string;
};

describe('email campaigns', () => {
  let t: TestApp;
  let eventId: string;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    await t.deps.db.execute(
      sql`truncate campaigns, accounts, events, email_suppressions, outbox_messages, webhook_receipts cascade`,
    );
    t.clock.set('2026-03-02T09:00:00Z');
    const accounts = Array.from({ length: 90 }, (_, i) => ({
      id: `acct-${String(i).padStart(3, '0')}`,
      plan: i % 2 === 0 ? 'pro' : 'free',
      time_zone: ZONES[i % 3],
      locale: i % 3 === 1 ? 'de-DE' : 'en',
      contacts: [{ email: `owner${i}@example.com`, name: `Owner ${i}` }],
    }));
    await t.request('/v1/accounts/batch', { method: 'POST', json: { accounts } });
    const event = await t.request('/v1/events', {
      method: 'POST',
      json: {
        kind: 'maintenance',
        title: 'Database upgrade',
        starts_at: '2026-03-10T02:00:00Z',
        ends_at: '2026-03-10T04:00:00Z',
      },
    });
    expect(event.status).toBe(201);
    eventId = (await readJson(event)).id;
  });

  const maintenanceEmail = (overrides: Record<string, unknown> = {}) => ({
    channels: ['email'],
    title: 'Database upgrade on {{plan}} accounts',
    body: 'The dashboard will be **read-only** for two hours.',
    severity: 'maintenance',
    audience: { type: 'all' },
    event_id: eventId,
    holdout_percent: 10,
    email: { template: 'maintenance', before_event: { days: 2 }, local_time: '09:00' },
    publish: true,
    ...overrides,
  });
  const deliveries = async (campaignId: string) =>
    rowsOf<DeliveryRow>(
      await t.deps.db.execute(sql`
        select account_id, email, status, scheduled_for from email_deliveries
        where campaign_id = ${campaignId} order by account_id`),
    );

  it('plans "2 days before, 09:00 local" at the right instant in each zone, without holdout, suppressed or unsubscribed recipients', async () => {
    await t.deps.db.execute(sql`
      insert into email_suppressions (email, reason) values
        ('owner4@example.com', 'bounced'), ('owner5@example.com', 'unsubscribed')`);
    const campaign = await createCampaign(t, maintenanceEmail());
    const planned = await deliveries(campaign.id);

    const expectedAt: Record<string, string> = {
      // The event starts 03-09 18:00 in Los Angeles (03-10 in Berlin and Tokyo): two days
      // before is 03-07 there, still standard time (PST, UTC-8) as DST begins on 03-08.
      'America/Los_Angeles': '2026-03-07T17:00:00.000Z',
      'Europe/Berlin': '2026-03-08T08:00:00.000Z', // 09:00 CET
      'Asia/Tokyo': '2026-03-08T00:00:00.000Z', // 09:00 JST
    };
    const heldOut = Array.from(
      { length: 90 },
      (_, i) => `acct-${String(i).padStart(3, '0')}`,
    ).filter((id) => isHeldOut(campaign.id, id, 10));
    expect(heldOut.length).toBeGreaterThan(0);
    for (let i = 0; i < 90; i++) {
      const id = `acct-${String(i).padStart(3, '0')}`;
      const row = planned.find((d) => d.account_id === id);
      // An account no email can reach is never held out: it is counted as suppressed.
      if (i === 4 || i === 5) {
        expect(row?.status).toBe('suppressed');
        continue;
      }
      if (heldOut.includes(id)) {
        expect(row, `${id} is held out`).toBeUndefined();
        continue;
      }
      expect(row?.status).toBe('queued');
      expect(new Date(row?.scheduled_for ?? 0).toISOString()).toBe(expectedAt[ZONES[i % 3] ?? '']);
    }
    const exposures = rowsOf<{ account_id: string; group: string; first_at: Date | string }>(
      await t.deps.db.execute(sql`
        select account_id, "group", first_at from exposures where campaign_id = ${campaign.id}`),
    );
    expect(exposures.map((e) => e.account_id).sort()).toEqual(
      heldOut.filter((id) => id !== 'acct-004' && id !== 'acct-005'),
    );
    expect(exposures.every((e) => e.group === 'holdout')).toBe(true);

    const listed = await readJson(
      await t.request(`/v1/campaigns/${campaign.id}/deliveries?limit=5`),
    );
    expect(listed.counts.queued).toBe(planned.filter((d) => d.status === 'queued').length);
    expect(listed.counts.suppressed).toBe(2);
    expect(listed.held_out_accounts).toBe(exposures.length);
    expect(listed.data).toHaveLength(5);
  });

  it('sends due emails through the local outbox, once, with the unsubscribe headers, as the preview shows', async () => {
    const campaign = await createCampaign(
      t,
      maintenanceEmail({
        holdout_percent: 0,
        locales: {
          de: {
            title: 'Datenbank-Upgrade',
            body: 'Das Dashboard ist zwei Stunden **nur lesbar**.',
          },
        },
      }),
    );
    const preview = await readJson(
      await t.request(`/v1/campaigns/${campaign.id}/email-preview?account=acct-001`),
    );
    expect(preview).toMatchObject({
      to: 'owner1@example.com',
      subject: 'Datenbank-Upgrade',
      scheduled_for: '2026-03-08T08:00:00.000Z',
      delivery_status: 'queued',
      skipped: null,
    });
    expect(preview.html).toContain('Geplante Wartung');
    expect(preview.html).toContain('Hallo Owner 1');
    expect(preview.html).toContain('<strong>nur lesbar</strong>');
    expect(preview.html).toContain('Wann: Dienstag, 10. März 2026 um 03:00 (Europe/Berlin)');
    expect(preview.text).toContain('nur lesbar');
    const english = await readJson(
      await t.request(`/v1/campaigns/${campaign.id}/email-preview?account=acct-002&format=json`),
    );
    expect(english.subject).toBe('Database upgrade on pro accounts');
    expect(english.html).toContain('Hi Owner 2,');
    expect(preview.headers['List-Unsubscribe']).toMatch(
      /^<http:\/\/localhost:3000\/unsubscribe\/[\w-]+\.[\w-]+>$/,
    );
    // One-click (RFC 8058) needs an https link; the default PUBLIC_URL is http.
    expect(preview.headers).not.toHaveProperty('List-Unsubscribe-Post');

    expect((await sendDueEmails(t.deps)).sent).toBe(0);
    t.clock.set('2026-03-08T07:59:00Z');
    expect((await sendDueEmails(t.deps)).sent).toBe(60); // Los Angeles (03-07) and Tokyo
    t.clock.set('2026-03-08T08:30:00Z'); // Tokyo and Berlin are due; Los Angeles was due on 03-07
    const first = await sendDueEmails(t.deps);
    expect(first.sent).toBe(30);
    expect((await sendDueEmails(t.deps)).sent).toBe(0);
    const outbox = await readJson(
      await t.request(`/v1/outbox?campaign_id=${campaign.id}&limit=200`),
    );
    expect(outbox.data).toHaveLength(90);
    const stored = outbox.data.find((m: { to: string }) => m.to === 'owner1@example.com');
    expect(stored.html).toBe(preview.html);
    expect(stored.subject).toBe(preview.subject);
    expect(stored.headers).toEqual(preview.headers);

    const treated = rowsOf<{ count: number }>(
      await t.deps.db.execute(sql`
        select count(*)::int as count from exposures
        where campaign_id = ${campaign.id} and "group" = 'treated' and channel = 'email'`),
    );
    expect(treated[0]?.count).toBe(90);
  });

  it('follows a reschedule and a cancellation with its queued deliveries', async () => {
    const campaign = await createCampaign(t, maintenanceEmail({ holdout_percent: 0 }));
    const moved = await t.request(`/v1/campaigns/${campaign.id}`, {
      method: 'PATCH',
      json: { email: { template: 'maintenance', send_at: '2026-03-05T12:00:00Z' } },
    });
    expect(moved.status).toBe(200);
    const after = await deliveries(campaign.id);
    expect(new Set(after.map((d) => new Date(d.scheduled_for).toISOString()))).toEqual(
      new Set(['2026-03-05T12:00:00.000Z']),
    );
    // Published without a start, it is active: stopping it is `ended`.
    const stopped = await t.request(`/v1/campaigns/${campaign.id}`, {
      method: 'PATCH',
      json: { status: 'ended' },
    });
    expect(stopped.status).toBe(200);
    expect(new Set((await deliveries(campaign.id)).map((d) => d.status))).toEqual(
      new Set(['cancelled']),
    );
    t.clock.set('2026-03-06T00:00:00Z');
    expect((await sendDueEmails(t.deps)).sent).toBe(0);
  });

  it('sends nothing for a campaign that ended on its own schedule before its email was due', async () => {
    const campaign = await createCampaign(
      t,
      maintenanceEmail({
        holdout_percent: 0,
        event_id: undefined,
        ends_at: '2026-03-04T00:00:00Z',
        email: { template: 'maintenance', send_at: '2026-03-05T12:00:00Z' },
      }),
    );
    expect(new Set((await deliveries(campaign.id)).map((d) => d.status))).toEqual(
      new Set(['queued']),
    );
    t.clock.set('2026-03-06T00:00:00Z');
    expect((await sendDueEmails(t.deps)).sent).toBe(0);
    expect(new Set((await deliveries(campaign.id)).map((d) => d.status))).toEqual(
      new Set(['cancelled']),
    );
    const outbox = await readJson(await t.request(`/v1/outbox?campaign_id=${campaign.id}`));
    expect(outbox.data).toEqual([]);
  });

  it('fails a claimed batch whose campaign stopped sending email instead of retrying it forever', async () => {
    const campaign = await createCampaign(t, maintenanceEmail({ holdout_percent: 0 }));
    // As if a sender had claimed every delivery and crashed just before the channel was removed.
    await t.deps.db.execute(sql`
      update email_deliveries set status = 'sending', batch_key = 'claimed-then-crashed',
        lease_until = ${'2026-03-02T08:00:00Z'} where campaign_id = ${campaign.id}`);
    await t.deps.db.execute(sql`update campaigns set email = null where id = ${campaign.id}`);
    const report = await sendDueEmails(t.deps);
    expect(report).toMatchObject({ requests: 0, sent: 0, failed: 90 });
    const statuses = rowsOf<{ status: string; error: string }>(
      await t.deps.db.execute(sql`
        select distinct status, error from email_deliveries where campaign_id = ${campaign.id}`),
    );
    expect(statuses).toEqual([{ status: 'failed', error: 'the campaign no longer sends email' }]);
  });

  it('rejects email settings it cannot honour with 400 and saves nothing', async () => {
    const cases = [
      maintenanceEmail({ channels: ['banner'] }),
      maintenanceEmail({ event_id: null }),
      maintenanceEmail({ email: { local_time: '9am' } }),
      maintenanceEmail({ email: { send_window: { from: '18:00', to: '08:00' } } }),
      maintenanceEmail({ email: { send_at: '2026-03-05T12:00:00Z', before_event: { days: 1 } } }),
    ];
    for (const campaign of cases) {
      await expectProblem(
        await t.request('/v1/campaigns', { method: 'POST', json: campaign }),
        400,
        'validation_failed',
      );
    }
    const [count] = rowsOf<{ n: number }>(
      await t.deps.db.execute(
        sql`select (select count(*) from campaigns)::int + (select count(*) from email_deliveries)::int as n`,
      ),
    );
    expect(count?.n).toBe(0);
  });

  it('shows an analyst key masked recipients, without their account, provider message id, time zone or error, and an ops key the whole recipient', async () => {
    const campaign = await createCampaign(t, maintenanceEmail({ holdout_percent: 0 }));
    // A bounce stores the provider's message, which quotes the address it bounced from.
    await t.deps.db.execute(sql`
      update email_deliveries
      set status = 'bounced', error = '550 5.1.1 <' || email || '>: Recipient address rejected'
      where campaign_id = ${campaign.id} and account_id = 'acct-001'`);
    // Resend's message id: its log names the recipient.
    await t.deps.db.execute(sql`
      update email_deliveries set provider_id = 'resend-msg-' || account_id
      where campaign_id = ${campaign.id}`);
    const list = async (key: string) =>
      readJson(await t.request(`/v1/campaigns/${campaign.id}/deliveries?limit=200`, { key }));
    type Listed = {
      account_id?: string;
      email: string;
      provider_id?: string | null;
      time_zone?: string;
      error?: string;
    };

    const asAnalyst = await list(await t.keyFor('analyst'));
    expect(asAnalyst.data).toHaveLength(90);
    expect(asAnalyst.counts).toMatchObject({ queued: 89, bounced: 1 });
    for (const delivery of asAnalyst.data as Listed[]) {
      expect(delivery.email).toBe('o•••@example.com');
      expect(delivery).toHaveProperty('status');
      for (const field of ['account_id', 'provider_id', 'time_zone', 'error']) {
        expect(delivery).not.toHaveProperty(field);
      }
    }
    const answer = JSON.stringify(asAnalyst);
    expect(answer).not.toMatch(/owner\d+@/);
    expect(answer).not.toContain('acct-');
    expect(answer).not.toContain('America/Los_Angeles');

    for (const key of [await t.keyFor('ops'), t.adminKey]) {
      const whole = (await list(key)).data as Listed[];
      expect(whole).toHaveLength(90);
      const bounced = whole.find((d) => d.account_id === 'acct-001');
      expect(bounced).toMatchObject({
        email: 'owner1@example.com',
        provider_id: 'resend-msg-acct-001',
        time_zone: 'Europe/Berlin',
        error: '550 5.1.1 <owner1@example.com>: Recipient address rejected',
      });
      for (const delivery of whole) {
        expect(delivery.email).toBe(`owner${Number(delivery.account_id?.slice(5))}@example.com`);
      }
    }
  });

  it('lets only ops preview and list deliveries', async () => {
    const campaign = await createCampaign(t, maintenanceEmail());
    const appKey = await t.keyFor('app');
    const preview = await t.request(`/v1/campaigns/${campaign.id}/email-preview?account=acct-001`, {
      key: appKey,
    });
    expect(preview.status).toBe(403);
    expect((await t.request(`/v1/outbox`, { key: appKey })).status).toBe(403);
    expect((await t.request(`/v1/campaigns/${campaign.id}/deliveries`, { key: null })).status).toBe(
      401,
    );
  });
});
