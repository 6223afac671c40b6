import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { rowsOf } from '../../../src/db/json-param';
import { sendDueEmails } from '../../../src/modules/email/delivery/send-due-emails';
import { sendStatusEmails } from '../../../src/modules/status/subscribers/status-subscriptions.service';
import { postAccounts } from '../../helpers/accounts';
import { createCampaign } from '../../helpers/campaigns';
import { type FakeResend, startFakeResend } from '../../helpers/fake-resend';
import { readJson } from '../../helpers/read-json';
import { startTestApp, type TestApp } from '../../helpers/test-app';

const INJECTED = 'Eve\r\nBcc: attacker@evil.example';
// RIGHT-TO-LEFT OVERRIDE: what follows it, up to the end of the line, reads backwards.
const RLO = '\u202E';
const BIDI_CONTROL = /[\u202A-\u202E\u2066-\u2069]/;

describe('email subjects stay one header line, whatever a merge field or a name holds', () => {
  let fake: FakeResend;
  let t: TestApp;
  beforeAll(async () => {
    fake = await startFakeResend({ requestsPerSecond: 20 });
    t = await startTestApp({
      env: {
        RESEND_API_KEY: fake.apiKey,
        RESEND_BASE_URL: fake.url,
        RESEND_RATE_LIMIT: '20',
        RESEND_TIMEOUT_MS: '2000',
      },
    });
  });
  afterAll(async () => {
    await t.close();
    await fake.close();
  });
  beforeEach(async () => {
    await t.deps.db.execute(
      sql`truncate campaigns, accounts, incidents, status_subscribers cascade`,
    );
    fake.accepted.length = 0;
    t.clock.set('2026-03-02T09:00:00Z');
  });

  it("sends a {{name}} subject on one line when a contact's name holds a line break, and the rest of the batch with it", async () => {
    const accounts = [
      { id: 'acct-eve', contacts: [{ email: 'eve@example.com', name: INJECTED }] },
      { id: 'acct-bob', contacts: [{ email: 'bob@example.com', name: 'Bob' }] },
    ];
    await postAccounts(t, accounts);
    const created = await createCampaign(t, {
      channels: ['email'],
      title: 'Price change',
      body: 'New prices from April.',
      email: { template: 'billing', subject: 'Hello {{name}}' },
    });
    const campaign = created.id as string;

    await sendDueEmails(t.deps);

    const subjects = fake.accepted.map((email) => [email.to[0], email.subject]);
    expect(subjects.sort()).toEqual([
      ['bob@example.com', 'Hello Bob'],
      ['eve@example.com', 'Hello Eve Bcc: attacker@evil.example'],
    ]);
    const statuses = rowsOf<{ status: string }>(
      await t.deps.db.execute(
        sql`select status from email_deliveries where campaign_id = ${campaign}`,
      ),
    ).map((row) => row.status);
    expect(statuses).toEqual(['sent', 'sent']);
  });

  it('sends a status update on one subject line for an incident name stored with a line break', async () => {
    await t.deps.db.execute(sql`
      insert into status_subscribers (id, email, confirmed_at, created_at)
      values (gen_random_uuid(), 'reader@example.com', now(), now())`);
    const opened = await t.request('/v1/status/incidents', {
      method: 'POST',
      json: { name: 'Login errors', impact: 'minor', body: 'Looking into it.' },
    });
    expect(opened.status).toBe(201);
    const incident = (await readJson(opened)).id as string;
    // As a name stored before names were checked for line breaks would be.
    await t.deps.db.execute(sql`update incidents set name = ${INJECTED} where id = ${incident}`);

    expect(await sendStatusEmails(t.deps)).toEqual({ sent: 1 });

    expect(fake.accepted.map((email) => email.subject)).toEqual([
      '[Status] Eve Bcc: attacker@evil.example: investigating',
    ]);
  });

  it('sends {{plan}} and {{account_id}} stored with a line break or an override on one line in every part, the words after them in order, and previews them so', async () => {
    const put = await t.request('/v1/accounts/acct-legacy', {
      method: 'PUT',
      json: { plan: 'pro', contacts: [{ email: 'lee@example.com', name: 'Lee' }] },
    });
    expect(put.status).toBe(201);
    // As rows stored before plans were checked at the API would be; no API ever took such an
    // id, but a row written by hand is read the same way.
    await t.deps.db.execute(
      sql`update accounts set plan = ${`Pro\r\nBcc: attacker@evil.example ${RLO}ylhtnom`}`,
    );
    const oddId = `acct\u2028${RLO}7`;
    await t.deps.db.execute(sql`
      insert into accounts (id, plan) values (${oddId}, ${'team\u2029yearly'})`);
    await t.deps.db.execute(sql`
      insert into account_contacts (account_id, email) values (${oddId}, 'seven@example.com')`);
    const created = await createCampaign(t, {
      channels: ['email'],
      title: 'Price change',
      body: 'Your {{plan}} plan on account {{account_id}} renews in April.',
      email: { template: 'billing', subject: 'Your {{plan}} plan ({{account_id}}) changes' },
    });
    const campaign = created.id as string;

    await sendDueEmails(t.deps);

    const sent = [...fake.accepted].sort((a, b) => (a.to[0] ?? '').localeCompare(b.to[0] ?? ''));
    expect(sent.map((email) => [email.to[0], email.subject])).toEqual([
      ['lee@example.com', 'Your Pro Bcc: attacker@evil.example ylhtnom plan (acct-legacy) changes'],
      ['seven@example.com', 'Your team yearly plan (acct 7) changes'],
    ]);
    const sentences = [
      'Your Pro Bcc: attacker@evil.example ylhtnom plan on account acct-legacy renews in April.',
      'Your team yearly plan on account acct 7 renews in April.',
    ];
    sent.forEach((email, i) => {
      expect(email.text).toContain(sentences[i]);
      expect(email.html).toContain(sentences[i]);
      for (const part of [email.text, email.html]) {
        expect(part).not.toMatch(BIDI_CONTROL);
        expect(part).not.toMatch(/evil\.example\s*[\r\n]|[\u2028\u2029]/);
      }
    });

    const preview = await readJson(
      await t.request(`/v1/campaigns/${campaign}/email-preview?account=acct-legacy`),
    );
    expect(preview).toMatchObject({
      subject: sent[0]?.subject,
      text: sent[0]?.text,
      html: sent[0]?.html,
    });
  });
});
