import { sql } from 'drizzle-orm';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { rowsOf } from '../../../src/db/json-param';
import { sendDueEmails } from '../../../src/modules/email/delivery/send-due-emails';
import { sendStatusEmails } from '../../../src/modules/status/subscribers/status-subscriptions.service';
import { createCampaign } from '../../helpers/campaigns';
import { expectProblem } from '../../helpers/problem';
import { readJson } from '../../helpers/read-json';
import { startTestApp, type TestApp } from '../../helpers/test-app';

const SECRET = `whsec_${Buffer.from('a-test-signing-secret-of-32-bytes!').toString('base64')}`;

type Delivery = { id: string; email: string; status: string; provider_id: string | null };

describe('one-click unsubscribe and Resend webhooks', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { RESEND_WEBHOOK_SECRET: SECRET } });
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    await t.deps.db.execute(
      sql`truncate campaigns, accounts, email_suppressions, outbox_messages, webhook_receipts cascade`,
    );
    t.clock.set('2026-03-02T09:00:00Z');
    await t.request('/v1/accounts/batch', {
      method: 'POST',
      json: {
        accounts: ['a', 'b', 'c'].map((id) => ({ id, contacts: [{ email: `${id}@example.com` }] })),
      },
    });
  });

  const sendCampaign = async (title: string) => {
    const campaign = await createCampaign(t, { channels: ['email'], title, body: 'Hello' });
    await sendDueEmails(t.deps);
    return campaign.id as string;
  };
  const deliveries = async (campaignId: string) =>
    rowsOf<Delivery>(
      await t.deps.db.execute(sql`
        select id, email, status, provider_id from email_deliveries
        where campaign_id = ${campaignId} order by email`),
    );
  const unsubscribeLink = async (campaignId: string, email: string) => {
    const [message] = rowsOf<{ headers: Record<string, string> }>(
      await t.deps.db.execute(sql`
        select headers from outbox_messages where campaign_id = ${campaignId} and "to" = ${email}`),
    );
    const header = message?.headers['List-Unsubscribe'] ?? '';
    return new URL(header.slice(1, -1)).pathname;
  };

  it('unsubscribes with one POST and no credentials, shows a page on GET, and sends nothing afterwards', async () => {
    const first = await sendCampaign('First');
    const path = await unsubscribeLink(first, 'b@example.com');

    const page = await t.request(path, { key: null });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<form method="post">');
    const [before] = rowsOf<{ n: number }>(
      await t.deps.db.execute(sql`select count(*)::int as n from email_suppressions`),
    );
    expect(before?.n).toBe(0); // a link scanner's GET changes nothing

    const oneClick = await t.request(path, {
      method: 'POST',
      key: null,
      body: 'List-Unsubscribe=One-Click',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(oneClick.status).toBe(200);
    expect(await oneClick.text()).toContain('<strong>b@example.com</strong> receives no more');
    const again = await t.request(path, {
      method: 'POST',
      key: null,
      body: 'List-Unsubscribe=One-Click',
    });
    expect(again.status).toBe(200);

    const second = await sendCampaign('Second');
    expect((await deliveries(second)).map((d) => [d.email, d.status])).toEqual([
      ['a@example.com', 'sent'],
      ['b@example.com', 'suppressed'],
      ['c@example.com', 'sent'],
    ]);
    const outbox = await readJson(await t.request(`/v1/outbox?campaign_id=${second}`));
    expect(outbox.data.map((m: { to: string }) => m.to).sort()).toEqual([
      'a@example.com',
      'c@example.com',
    ]);
    // The link acts for its owner and names the address: request logs leave its token out.
    const token = path.slice('/unsubscribe/'.length);
    // Mangled on its way (a doubled slash): not found, and its token is left out all the same.
    for (const mangled of [`//unsubscribe/${token}`, `/unsubscribe//${token}`]) {
      expect((await t.request(mangled, { key: null })).status).toBe(404);
    }
    expect(t.logs.some((line) => line.includes('"path":"/unsubscribe/[token]"'))).toBe(true);
    expect(t.logs.filter((line) => line.includes(token))).toEqual([]);
  });

  it('sends to an address as its contact spells it and matches it whatever its case: one email per mailbox, unsubscribes, bounces and suppressions', async () => {
    await t.request('/v1/accounts/batch', {
      method: 'POST',
      json: {
        accounts: [
          { id: 'ann', contacts: [{ email: 'Ann.Lee@Example.com' }] },
          { id: 'ann-too', contacts: [{ email: 'ann.lee@example.COM' }] },
          { id: 'bo', contacts: [{ email: 'Bo@Example.com' }] },
        ],
      },
    });
    expect((await readJson(await t.request('/v1/accounts/ann'))).contacts).toEqual([
      { email: 'Ann.Lee@Example.com', name: null, locale: null },
    ]);
    const sentTo = async (campaignId: string) =>
      (await readJson(await t.request(`/v1/outbox?campaign_id=${campaignId}`))).data
        .map((m: { to: string }) => m.to)
        .sort();
    const first = await sendCampaign('First');
    // One email for the mailbox both accounts list, to the first account's spelling.
    expect(await sentTo(first)).toEqual([
      'Ann.Lee@Example.com',
      'Bo@Example.com',
      'a@example.com',
      'b@example.com',
      'c@example.com',
    ]);
    const listedDeliveries = await readJson(await t.request(`/v1/campaigns/${first}/deliveries`));
    expect(listedDeliveries.data.map((d: { email: string }) => d.email)).toContain(
      'Ann.Lee@Example.com',
    );

    const unsubscribed = await t.request(await unsubscribeLink(first, 'Ann.Lee@Example.com'), {
      method: 'POST',
      key: null,
      body: 'List-Unsubscribe=One-Click',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(await unsubscribed.text()).toContain('<strong>Ann.Lee@Example.com</strong>');
    const bo = (await deliveries(first)).find((d) => d.email === 'bo@example.com');
    const bounced = signedEvent('msg_bo_bounce', {
      type: 'email.bounced',
      data: { email_id: bo?.provider_id, bounce: { type: 'Permanent', message: 'no mailbox' } },
    });
    expect(await readJson(await t.request('/v1/webhooks/resend', bounced))).toMatchObject({
      applied: true,
    });
    const suppressed = await readJson(await t.request('/v1/email-suppressions'));
    expect(suppressed.data.map((row: { email: string }) => row.email)).toEqual([
      'ann.lee@example.com',
      'bo@example.com',
    ]);

    const second = await sendCampaign('Second');
    expect(await sentTo(second)).toEqual(['a@example.com', 'b@example.com', 'c@example.com']);
    // The bounce lifted by its address however it is typed: Bo gets email again.
    expect(
      (await t.request('/v1/email-suppressions/BO@example.com', { method: 'DELETE' })).status,
    ).toBe(204);
    const third = await sendCampaign('Third');
    expect(await sentTo(third)).toEqual([
      'Bo@Example.com',
      'a@example.com',
      'b@example.com',
      'c@example.com',
    ]);
  });

  it('refuses a tampered unsubscribe link and changes nothing', async () => {
    const campaign = await sendCampaign('First');
    const path = await unsubscribeLink(campaign, 'a@example.com');
    const [body, signature] = path.replace('/unsubscribe/', '').split('.');
    const forged = `/unsubscribe/${Buffer.from(JSON.stringify(['c@example.com', campaign])).toString('base64url')}.${signature}`;
    expect(body).not.toBe(forged);
    const response = await t.request(forged, { method: 'POST', key: null });
    expect(response.status).toBe(404);
    const [count] = rowsOf<{ n: number }>(
      await t.deps.db.execute(sql`select count(*)::int as n from email_suppressions`),
    );
    expect(count?.n).toBe(0);
  });

  const signedEvent = (id: string, event: unknown, secret = SECRET) =>
    signedBody(id, JSON.stringify(event), secret);
  const signedBody = (id: string, body: string, secret = SECRET) => {
    // One instant for the signature and the header: two reads of the clock can straddle a second.
    const sentAt = new Date();
    const signature = new Webhook(secret).sign(id, sentAt, body);
    return {
      method: 'POST',
      key: null,
      body,
      headers: {
        'content-type': 'application/json',
        'svix-id': id,
        'svix-timestamp': String(Math.floor(sentAt.getTime() / 1000)),
        'svix-signature': signature,
      },
    };
  };

  it('applies a genuine webhook once, rejects a forged one with 401, and suppresses hard bounces and complaints', async () => {
    const campaign = await sendCampaign('First');
    const [a, b, c] = await deliveries(campaign);
    if (!a || !b || !c) throw new Error('expected three deliveries');

    const forged = signedEvent(
      'msg_forged',
      { type: 'email.bounced', data: { email_id: a.provider_id } },
      `whsec_${Buffer.from('not-the-secret-at-all-not-at-all').toString('base64')}`,
    );
    await expectProblem(await t.request('/v1/webhooks/resend', forged), 401, 'unauthorized');
    const unsigned = await t.request('/v1/webhooks/resend', {
      method: 'POST',
      key: null,
      json: { type: 'email.delivered', data: {} },
    });
    expect(unsigned.status).toBe(401);
    expect((await deliveries(campaign))[0]?.status).toBe('sent');

    const delivered = signedEvent('msg_1', {
      type: 'email.delivered',
      data: { email_id: a.provider_id },
    });
    expect(await readJson(await t.request('/v1/webhooks/resend', delivered))).toEqual({
      duplicate: false,
      applied: true,
    });
    expect(await readJson(await t.request('/v1/webhooks/resend', delivered))).toEqual({
      duplicate: true,
      applied: false,
    });

    const bounced = signedEvent('msg_2', {
      type: 'email.bounced',
      data: {
        email_id: b.provider_id,
        bounce: { type: 'Permanent', message: 'mailbox does not exist' },
      },
    });
    expect((await t.request('/v1/webhooks/resend', bounced)).status).toBe(200);
    const complained = signedEvent('msg_3', {
      type: 'email.complained',
      data: { email_id: c.provider_id },
    });
    expect((await t.request('/v1/webhooks/resend', complained)).status).toBe(200);
    // A late delivery event does not undo the complaint.
    const late = signedEvent('msg_4', {
      type: 'email.delivered',
      data: { email_id: c.provider_id },
    });
    expect(await readJson(await t.request('/v1/webhooks/resend', late))).toEqual({
      duplicate: false,
      applied: false,
    });

    expect((await deliveries(campaign)).map((d) => d.status)).toEqual([
      'delivered',
      'bounced',
      'complained',
    ]);
    const suppressions = rowsOf<{ email: string; reason: string }>(
      await t.deps.db.execute(sql`select email, reason from email_suppressions order by email`),
    );
    expect(suppressions).toEqual([
      { email: 'b@example.com', reason: 'bounced' },
      { email: 'c@example.com', reason: 'complained' },
    ]);

    // Ops can lift the bounce (the mailbox may work again), never the complaint.
    const listed = await readJson(await t.request('/v1/email-suppressions'));
    expect(listed.data.map((row: { email: string }) => row.email)).toEqual([
      'b@example.com',
      'c@example.com',
    ]);
    await expectProblem(
      await t.request('/v1/email-suppressions/c@example.com', { method: 'DELETE' }),
      409,
      'conflict',
    );
    expect(
      (await t.request('/v1/email-suppressions/b@example.com', { method: 'DELETE' })).status,
    ).toBe(204);
    expect((await readJson(await t.request('/v1/email-suppressions'))).data).toHaveLength(1);
  });

  it('answers a correctly signed body that is not JSON with 400, not as a bad signature', async () => {
    for (const body of ['{', '']) {
      const problem = await expectProblem(
        await t.request('/v1/webhooks/resend', signedBody(`msg_malformed_${body.length}`, body)),
        400,
        'malformed_body',
      );
      expect(problem.detail).not.toMatch(/signature/);
    }
  });

  it('finds by its delivery_id tag an email recorded sent without the provider id, and suppresses its bounce', async () => {
    const campaign = await sendCampaign('Lost answer');
    const [a, b] = await deliveries(campaign);
    if (!a || !b) throw new Error('expected deliveries');
    // What a batch whose first answer was lost looks like once Resend's 409 says it went.
    await t.deps.db.execute(sql`
      update email_deliveries set provider_id = null where id in (${a.id}, ${b.id})`);

    const bounced = signedEvent('msg_lost_bounce', {
      type: 'email.bounced',
      data: {
        email_id: 're_never_recorded',
        to: [a.email],
        bounce: { type: 'Permanent', message: 'no mailbox' },
        tags: [
          { name: 'campaign_id', value: campaign },
          { name: 'delivery_id', value: a.id },
        ],
      },
    });
    expect(await readJson(await t.request('/v1/webhooks/resend', bounced))).toEqual({
      duplicate: false,
      applied: true,
    });
    // Tags as an object, and a tag that is no delivery's id, find nothing else to change.
    const stray = signedEvent('msg_stray_tag', {
      type: 'email.bounced',
      data: { email_id: 're_other', tags: { delivery_id: 'not-a-uuid' } },
    });
    expect(await readJson(await t.request('/v1/webhooks/resend', stray))).toEqual({
      duplicate: false,
      applied: false,
    });

    const after = await deliveries(campaign);
    expect(after.find((d) => d.id === a.id)).toMatchObject({
      status: 'bounced',
      provider_id: 're_never_recorded',
    });
    expect(after.find((d) => d.id === b.id)).toMatchObject({ status: 'sent', provider_id: null });
    const listed = await readJson(await t.request('/v1/email-suppressions'));
    expect(listed.data.map((row: { email: string }) => row.email)).toEqual([a.email]);
  });

  it('suppresses a status-page subscriber whose update bounced', async () => {
    await t.deps.db.execute(sql`truncate status_subscribers, status_components, incidents cascade`);
    await t.deps.db.execute(sql`
      insert into status_subscribers (id, email, created_at, confirmed_at)
      values (gen_random_uuid(), 'gone@example.com', now(), now())`);
    const openIncident = (name: string) =>
      t.request('/v1/status/incidents', {
        method: 'POST',
        json: { name, impact: 'minor', body: 'Investigating.', components: [] },
      });
    await openIncident('Slow dashboard');
    expect(await sendStatusEmails(t.deps)).toEqual({ sent: 1 });
    const [sent] = rowsOf<{ provider_id: string | null }>(
      await t.deps.db.execute(sql`select provider_id from status_notifications`),
    );
    expect(sent?.provider_id).toBeTruthy();

    const bounced = signedEvent('msg_status_bounce', {
      type: 'email.bounced',
      data: { email_id: sent?.provider_id, bounce: { type: 'Permanent', message: 'no mailbox' } },
    });
    expect(await readJson(await t.request('/v1/webhooks/resend', bounced))).toEqual({
      duplicate: false,
      applied: true,
    });
    const listed = await readJson(await t.request('/v1/email-suppressions'));
    expect(listed.data.map((row: { email: string }) => row.email)).toEqual(['gone@example.com']);
    await openIncident('Slow dashboard again');
    expect(await sendStatusEmails(t.deps)).toEqual({ sent: 0 });
  });

  it('emails only the accounts that own an attribute named constructor', async () => {
    await t.request('/v1/accounts/d', {
      method: 'PUT',
      json: { attributes: { constructor: 'yes' }, contacts: [{ email: 'd@example.com' }] },
    });
    const campaign = await createCampaign(t, {
      channels: ['email'],
      title: 'Only d',
      body: 'Hello',
      audience: { type: 'rule', all: [{ attribute: 'attributes.constructor', op: 'exists' }] },
    });
    await sendDueEmails(t.deps);
    expect((await deliveries(campaign.id)).map((d) => d.email)).toEqual(['d@example.com']);
  });

  it.each(['constructor', '__proto__', 'toString'])(
    'acknowledges a signed event whose type is %s without applying it, on every retry',
    async (type) => {
      const campaign = await sendCampaign(`Typed ${type}`);
      const [delivery] = await deliveries(campaign);
      if (!delivery) throw new Error('expected a delivery');
      const event = { type, data: { email_id: delivery.provider_id } };
      for (let attempt = 0; attempt < 2; attempt++) {
        const response = await t.request('/v1/webhooks/resend', signedEvent(`msg_${type}`, event));
        expect(response.status).toBe(200);
        expect(await readJson(response)).toEqual({ duplicate: attempt > 0, applied: false });
      }
      expect((await deliveries(campaign))[0]?.status).toBe(delivery.status);
    },
  );

  it('answers 404 while no signing secret is configured', async () => {
    const bare = await startTestApp();
    try {
      const response = await bare.request(
        '/v1/webhooks/resend',
        signedEvent('msg_x', { type: 'email.delivered', data: {} }),
      );
      await expectProblem(response, 404, 'not_found');
    } finally {
      await bare.close();
    }
  });
});
