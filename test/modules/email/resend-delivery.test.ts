import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { rowsOf } from '../../../src/db/json-param';
import { sendDueEmails } from '../../../src/modules/email/delivery/send-due-emails';
import { suppressAddress } from '../../../src/modules/email/recipients/suppressions.service';
import { accountsWithEmails } from '../../helpers/accounts';
import { createCampaign } from '../../helpers/campaigns';
import { type FakeResend, startFakeResend } from '../../helpers/fake-resend';
import { readJson } from '../../helpers/read-json';
import { startTestApp, type TestApp } from '../../helpers/test-app';

const RECIPIENTS = 250;

describe('delivery through Resend (a fake that enforces its contract)', () => {
  let fake: FakeResend;
  let t: TestApp;
  beforeAll(async () => {
    fake = await startFakeResend({ requestsPerSecond: 20 });
    t = await startTestApp({
      env: {
        PUBLIC_URL: 'https://forestall.example.com',
        RESEND_API_KEY: fake.apiKey,
        RESEND_BASE_URL: fake.url,
        RESEND_RATE_LIMIT: '20',
        RESEND_TIMEOUT_MS: '2000',
      },
    });
    await accountsWithEmails(t, RECIPIENTS, 'acct');
  });
  afterAll(async () => {
    await t.close();
    await fake.close();
  });
  beforeEach(async () => {
    await t.deps.db.execute(sql`truncate campaigns, email_suppressions cascade`);
    fake.accepted.length = 0;
    Object.assign(fake.faults, {
      failNext: 0,
      acceptThenFailNext: 0,
      hangNext: 0,
      rejectNext: 0,
      errorRate: 0,
      rateLimitRate: 0,
      requestsPerSecond: 20,
    });
    t.clock.set('2026-03-02T09:00:00Z');
  });

  const publishToEveryone = async () => {
    const campaign = await createCampaign(t, {
      channels: ['email'],
      title: 'Price change',
      body: 'New prices from April.',
      email: { template: 'billing' },
    });
    return campaign.id as string;
  };
  const statusCounts = async (campaignId: string) =>
    Object.fromEntries(
      rowsOf<{ status: string; n: number }>(
        await t.deps.db.execute(sql`
          select status, count(*)::int as n from email_deliveries
          where campaign_id = ${campaignId} group by status`),
      ).map((row) => [row.status, row.n]),
    );
  /** Runs the sender as the minute job would, letting backoffs and leases expire in between. */
  const sendUntilDone = async (campaignId: string, rounds = 30) => {
    for (let round = 0; round < rounds; round++) {
      await sendDueEmails(t.deps, { budgetMs: 10_000 });
      const counts = await statusCounts(campaignId);
      if (!counts.queued && !counts.sending) return counts;
      t.clock.advance(10 * 60 * 1000);
    }
    return statusCounts(campaignId);
  };
  const expectEveryoneExactlyOnce = () => {
    const counts = fake.countsByRecipient();
    expect(counts.size).toBe(RECIPIENTS);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
  };

  it('hands every email over in batches of at most 100, each request with an Idempotency-Key, once', async () => {
    const campaign = await publishToEveryone();
    const report = await sendDueEmails(t.deps);
    expect(report).toMatchObject({ requests: 3, sent: RECIPIENTS, failed: 0 });
    expectEveryoneExactlyOnce();
    const keys = new Set(fake.accepted.map((email) => email.idempotencyKey));
    expect(keys.size).toBe(3);
    expect([...keys].every((key) => key?.startsWith('forestall-batch-'))).toBe(true);
    const email = fake.accepted[0];
    expect(email?.headers['List-Unsubscribe']).toMatch(
      /^<https:\/\/forestall\.example\.com\/unsubscribe\/[\w.-]+>$/,
    );
    expect(email?.headers['List-Unsubscribe-Post']).toBe('List-Unsubscribe=One-Click');
    expect(email?.tags).toContainEqual({ name: 'campaign_id', value: campaign });
    expect(email?.text).toContain('New prices from April.');
    expect(await statusCounts(campaign)).toEqual({ sent: RECIPIENTS });
  });

  it('retries a batch Resend accepted but answered 500 for, as the same request, without sending it twice', async () => {
    const campaign = await publishToEveryone();
    fake.faults.acceptThenFailNext = 2;
    const counts = await sendUntilDone(campaign);
    expect(counts).toEqual({ sent: RECIPIENTS });
    expect(fake.stats.replayed).toBeGreaterThanOrEqual(2);
    expectEveryoneExactlyOnce();
  });

  /** The first batch fails as `fault` says; one of its members is suppressed by `suppress`. */
  const suppressMidRetry = async (
    fault: 'failNext' | 'acceptThenFailNext',
    suppress: (campaignId: string, email: string) => Promise<void>,
  ) => {
    const campaign = await publishToEveryone();
    fake.faults[fault] = 1;
    await sendDueEmails(t.deps, { budgetMs: 10_000 });
    const [member] = rowsOf<{ email: string }>(
      await t.deps.db.execute(sql`
        select email from email_deliveries where status = 'sending' order by id limit 1`),
    );
    const email = member?.email ?? '';
    expect(email).not.toBe('');
    await suppress(campaign, email);
    return { campaign, email, counts: await sendUntilDone(campaign) };
  };
  const deliveryOf = async (email: string) =>
    rowsOf<{ status: string; provider_id: string | null }>(
      await t.deps.db.execute(sql`
        select status, provider_id from email_deliveries where email = ${email}`),
    )[0];

  it('leaves out of a retried batch an address suppressed since its first attempt, which never reached Resend', async () => {
    const { email, counts } = await suppressMidRetry('failNext', (_, address) =>
      suppressAddress(t.deps, address, 'bounced', null),
    );
    expect(fake.accepted.filter((sent) => sent.to.includes(email))).toEqual([]);
    expect(counts).toEqual({ sent: RECIPIENTS - 1, suppressed: 1 });
    expect(fake.countsByRecipient().size).toBe(RECIPIENTS - 1);
    expect([...fake.countsByRecipient().values()].every((n) => n === 1)).toBe(true);
  });

  it('records the whole of a retried batch Resend had accepted as sent, an address suppressed since included', async () => {
    const { email, counts } = await suppressMidRetry('acceptThenFailNext', (_, address) =>
      suppressAddress(t.deps, address, 'unsubscribed', null),
    );
    // The retry, another body under the same key, was answered 409: the first one went.
    expect(counts).toEqual({ sent: RECIPIENTS });
    expect((await deliveryOf(email))?.status).toBe('sent');
    expectEveryoneExactlyOnce();
  });

  it('sends a retried batch again unchanged when a member unsubscribed through its own email', async () => {
    const { email, counts } = await suppressMidRetry('acceptThenFailNext', (campaign, address) =>
      suppressAddress(t.deps, address, 'unsubscribed', campaign),
    );
    // The same request, answered again as it was: the provider's ids are known.
    expect(counts).toEqual({ sent: RECIPIENTS });
    expect(await deliveryOf(email)).toMatchObject({
      status: 'sent',
      provider_id: expect.any(String),
    });
    expectEveryoneExactlyOnce();
  });

  it('sends nothing again for a batch whose every member was suppressed since its first attempt', async () => {
    const created = await createCampaign(t, {
      channels: ['email'],
      title: 'Price change',
      body: 'New prices from April.',
      audience: { type: 'accounts', account_ids: ['acct-7'] },
    });
    const campaign = created.id as string;
    fake.faults.failNext = 1;
    await sendDueEmails(t.deps, { budgetMs: 10_000 });
    await suppressAddress(t.deps, 'person7@example.com', 'complained', null);
    expect(await sendUntilDone(campaign)).toEqual({ suppressed: 1 });
    expect(fake.accepted).toEqual([]);
    expect((await deliveryOf('person7@example.com'))?.status).toBe('suppressed');
  });

  it('times out a request that hangs and retries it without sending twice', async () => {
    const campaign = await publishToEveryone();
    fake.faults.hangNext = 1;
    expect(await sendUntilDone(campaign)).toEqual({ sent: RECIPIENTS });
    expectEveryoneExactlyOnce();
  });

  it('marks a batch Resend refuses for good as failed, with the reason', async () => {
    const campaign = await publishToEveryone();
    fake.faults.rejectNext = 1;
    const counts = await sendUntilDone(campaign);
    expect(counts).toEqual({ failed: 100, sent: RECIPIENTS - 100 });
    const [failed] = rowsOf<{ error: string }>(
      await t.deps.db.execute(
        sql`select error from email_deliveries where status = 'failed' limit 1`,
      ),
    );
    expect(failed?.error).toMatch(/^422 validation_error/);
  });

  it('delivers everything exactly once through a storm of 429s and 500s', async () => {
    const campaign = await publishToEveryone();
    Object.assign(fake.faults, { errorRate: 0.3, rateLimitRate: 0.3 });
    fake.faults.acceptThenFailNext = 1;
    const counts = await sendUntilDone(campaign, 60);
    expect(counts).toEqual({ sent: RECIPIENTS });
    expect(fake.stats.rateLimited + fake.stats.failed).toBeGreaterThan(0);
    expectEveryoneExactlyOnce();
  });
});

describe('one-click unsubscribe (RFC 8058) by the scheme of PUBLIC_URL', () => {
  let fake: FakeResend;
  beforeAll(async () => {
    fake = await startFakeResend();
  });
  afterAll(() => fake.close());

  /** The headers of the one email an app with this PUBLIC_URL sends through Resend. */
  const headersSentUnder = async (publicUrl: string) => {
    const t = await startTestApp({
      env: { PUBLIC_URL: publicUrl, RESEND_API_KEY: fake.apiKey, RESEND_BASE_URL: fake.url },
    });
    try {
      const to = `reader@${new URL(publicUrl).hostname}`;
      await t.request('/v1/accounts/batch', {
        method: 'POST',
        json: { accounts: [{ id: 'acct-1', contacts: [{ email: to }] }] },
      });
      await createCampaign(t, {
        channels: ['email'],
        title: 'Price change',
        body: 'New prices from April.',
      });
      // A busy machine can time a request out; the retry, after its backoff, is the same one.
      const sentTo = () => fake.accepted.filter((email) => email.to.includes(to));
      for (let round = 0; round < 10 && sentTo().length === 0; round++) {
        await sendDueEmails(t.deps);
        t.clock.advance(10 * 60 * 1000);
      }
      const [email, ...others] = sentTo();
      expect(others).toEqual([]);
      return email?.headers ?? {};
    } finally {
      await t.close();
    }
  };

  it('claims one-click only for an https link; an http one is still listed, for people', async () => {
    const https = await headersSentUnder('https://forestall.example.com');
    expect(https['List-Unsubscribe']).toMatch(
      /^<https:\/\/forestall\.example\.com\/unsubscribe\/[\w.-]+>$/,
    );
    expect(https['List-Unsubscribe-Post']).toBe('List-Unsubscribe=One-Click');

    const http = await headersSentUnder('http://forestall.example.org');
    expect(http['List-Unsubscribe']).toMatch(
      /^<http:\/\/forestall\.example\.org\/unsubscribe\/[\w.-]+>$/,
    );
    expect(http).not.toHaveProperty('List-Unsubscribe-Post');
  });
});

describe('the fake Resend server', () => {
  let fake: FakeResend;
  beforeAll(async () => {
    fake = await startFakeResend({ requestsPerSecond: 2 });
  });
  afterAll(() => fake.close());

  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${fake.url}${path}`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${fake.apiKey}`,
        'content-type': 'application/json',
        ...headers,
      },
      body: JSON.stringify(body),
    });
  const email = (i: number) => ({
    from: 'a@example.com',
    to: [`r${i}@example.com`],
    subject: 'Hi',
    text: 'Hello',
  });
  const pause = () => new Promise((resolve) => setTimeout(resolve, 1100));

  it('enforces the batch contract, idempotency and the rate limit as Resend does', async () => {
    const tooMany = await post(
      '/emails/batch',
      Array.from({ length: 101 }, (_, i) => email(i)),
    );
    expect(tooMany.status).toBe(422);
    const noSubject = await post('/emails/batch', [{ ...email(1), subject: undefined }]);
    expect(noSubject.status).toBe(422);
    await pause();
    const withAttachment = await post('/emails/batch', [{ ...email(1), attachments: [] }]);
    expect(withAttachment.status).toBe(422);
    const unauthorised = await fetch(`${fake.url}/emails/batch`, { method: 'POST', body: '[]' });
    expect(unauthorised.status).toBe(401);
    await pause();

    const first = await post('/emails/batch', [email(1), email(2)], { 'idempotency-key': 'k1' });
    const replay = await post('/emails/batch', [email(1), email(2)], { 'idempotency-key': 'k1' });
    expect(await replay.json()).toEqual(await first.json());
    await pause();
    const changed = await post('/emails/batch', [email(3)], { 'idempotency-key': 'k1' });
    expect(changed.status).toBe(409);
    expect((await readJson(changed)).name).toBe('invalid_idempotent_request');
    expect(fake.accepted).toHaveLength(2);
    await pause();

    const answers = await Promise.all([1, 2, 3].map((i) => post('/emails/batch', [email(10 + i)])));
    expect(answers.map((a) => a.status).sort()).toEqual([200, 200, 429]);
    const limited = answers.find((a) => a.status === 429);
    expect(limited?.headers.get('retry-after')).toBe('1');
  });
});
