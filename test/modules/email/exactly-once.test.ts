import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDeps } from '../../../src/composition-root';
import { loadConfig } from '../../../src/config';
import { createLogger } from '../../../src/logger';
import { sendDueEmails } from '../../../src/modules/email/delivery/send-due-emails';
import { createCampaign } from '../../helpers/campaigns';
import { type FakeResend, startFakeResend } from '../../helpers/fake-resend';
import { readJson } from '../../helpers/read-json';
import { type Started, start, stop } from '../../helpers/start-entry';
import { startTestApp } from '../../helpers/test-app';
import { createTestDatabase } from '../../helpers/test-database';

const RECIPIENTS = 5_000;
const ADMIN_KEY = 'exactly-once-admin-key-0123456789';

const accounts = Array.from({ length: RECIPIENTS }, (_, i) => ({
  id: `acct-${i}`,
  contacts: [{ email: `person${i}@example.com` }],
}));
const campaign = {
  channels: ['email'],
  title: 'Maintenance tonight',
  body: 'The API is read-only from 22:00 to 23:00 UTC.',
  audience: { type: 'all' },
  email: { template: 'maintenance' },
  publish: true,
};

const until = async (what: string, done: () => boolean | Promise<boolean>, ms = 90_000) => {
  const deadline = Date.now() + ms;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
};

/** A database that outlives the process using it: Postgres when the suite runs on it, else a PGlite directory. */
async function databaseAcrossRestarts(prefix: string) {
  if (process.env.TEST_DATABASE_URL) {
    const database = await createTestDatabase();
    return { url: database.url ?? '', remove: () => database.close() };
  }
  const dataDir = await mkdtemp(join(tmpdir(), prefix));
  return {
    url: `file://${join(dataDir, 'db')}`,
    remove: () => rm(dataDir, { recursive: true, force: true }),
  };
}

const serverEnv = (fake: FakeResend, databaseUrl: string, rateLimit: string) => ({
  DATABASE_URL: databaseUrl,
  ADMIN_API_KEY: ADMIN_KEY,
  RESEND_API_KEY: fake.apiKey,
  RESEND_BASE_URL: fake.url,
  RESEND_RATE_LIMIT: rateLimit,
  EMAIL_POLL_SECONDS: '1',
  EMAIL_LEASE_SECONDS: '3',
  LOG_LEVEL: 'warn',
});

/** The accounts and the campaign, through the server's API; the campaign's id. */
async function publishToEveryone(running: Started): Promise<string> {
  const call = (path: string, json: unknown) =>
    fetch(`${running.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify(json),
    });
  expect((await call('/v1/accounts/batch', { accounts })).status).toBe(200);
  const created = await call('/v1/campaigns', campaign);
  expect(created.status).toBe(201);
  return (await readJson(created)).id;
}

const untilEverySent = (running: Started, campaignId: string) =>
  until('every delivery recorded as sent', async () => {
    const answer = await fetch(`${running.url}/v1/campaigns/${campaignId}/deliveries?limit=1`, {
      headers: { authorization: `Bearer ${ADMIN_KEY}` },
    });
    return (await readJson(answer)).counts.sent === RECIPIENTS;
  });

const expectEachRecipientOnce = (fake: FakeResend) => {
  const counts = fake.countsByRecipient();
  expect(counts.size).toBe(RECIPIENTS);
  const twice = [...counts].filter(([, n]) => n !== 1);
  expect(twice).toEqual([]);
};

describe('exactly once under faults (5,000 recipients, the fake Resend)', () => {
  let fake: FakeResend;
  beforeAll(async () => {
    fake = await startFakeResend({ requestsPerSecond: 20 });
    fake.faults.latencyMs = 40;
  });
  afterAll(() => fake.close());

  it('sends every recipient exactly one email when the sending process is killed with SIGKILL mid-send and restarted', async () => {
    const database = await databaseAcrossRestarts('forestall-crash-');
    const env = serverEnv(fake, database.url, '20');
    let running: Started | undefined;
    try {
      running = await start(env);
      const id = await publishToEveryone(running);

      await until('the first thousand emails', () => fake.accepted.length >= 1_000);
      expect(await stop(running, 'SIGKILL')).toBe(null);
      const atCrash = fake.accepted.length;
      expect(atCrash).toBeLessThan(RECIPIENTS);

      running = await start(env);
      await untilEverySent(running, id);
      expectEachRecipientOnce(fake);
    } finally {
      if (running?.child.exitCode === null) await stop(running, 'SIGTERM');
      await database.remove();
    }
  }, 180_000);

  it('sends every recipient exactly one email when two instances send the same campaign at once', async () => {
    fake.accepted.length = 0;
    const database = await createTestDatabase();
    const t = await startTestApp({
      database,
      env: { RESEND_API_KEY: fake.apiKey, RESEND_BASE_URL: fake.url, RESEND_RATE_LIMIT: '20' },
    });
    const other = await database.openAnother();
    try {
      expect(
        (await t.request('/v1/accounts/batch', { method: 'POST', json: { accounts } })).status,
      ).toBe(200);
      await createCampaign(t, campaign);
      // A second instance: its own connections, Resend client and rate gate, the same clock.
      const config = loadConfig({
        RESEND_API_KEY: fake.apiKey,
        RESEND_BASE_URL: fake.url,
        RESEND_RATE_LIMIT: '20',
        LOG_LEVEL: 'silent',
      });
      const second = buildDeps(config, other.db, {
        clock: t.clock,
        logger: createLogger('silent'),
      });
      // Together they exceed the rate: each backs off on 429s, and batches deferred by a 429
      // are taken up again by whichever instance runs after their lease.
      const sent: [number, number] = [0, 0];
      for (let round = 0; round < 20 && sent[0] + sent[1] < RECIPIENTS; round++) {
        const [first, other] = await Promise.all([sendDueEmails(t.deps), sendDueEmails(second)]);
        sent[0] += first.sent;
        sent[1] += other.sent;
        t.clock.advance(60_000);
      }
      expect(sent[0] + sent[1]).toBe(RECIPIENTS);
      expect(sent[0]).toBeGreaterThan(0);
      expect(sent[1]).toBeGreaterThan(0);
      expectEachRecipientOnce(fake);
    } finally {
      await other.close();
      await t.close();
    }
  }, 120_000);
  it('stops claiming at SIGTERM, exits cleanly within the grace period, and a restart sends the rest exactly once', async () => {
    fake.accepted.length = 0;
    // Slow requests, so the campaign takes far longer to send than the shutdown may take.
    fake.faults.latencyMs = 1_000;
    const database = await databaseAcrossRestarts('forestall-sigterm-');
    const env = serverEnv(fake, database.url, '4');
    let running: Started | undefined;
    try {
      running = await start(env);
      const id = await publishToEveryone(running);

      await until('the first emails', () => fake.accepted.length >= 300);
      const stopping = running;
      expect(await stop(stopping, 'SIGTERM')).toBe(0);
      expect(stopping.output()).not.toContain('shutdown grace period elapsed');
      expect(fake.accepted.length).toBeLessThan(RECIPIENTS);

      fake.faults.latencyMs = 40;
      running = await start(env);
      await untilEverySent(running, id);
      expectEachRecipientOnce(fake);
    } finally {
      fake.faults.latencyMs = 40;
      if (running?.child.exitCode === null) await stop(running, 'SIGTERM');
      await database.remove();
    }
  }, 240_000);
});
