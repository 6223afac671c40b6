import { sql } from 'drizzle-orm';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { rowsOf } from '../../../src/db/json-param';
import type { Deps } from '../../../src/deps';
import { isHeldOut } from '../../../src/modules/campaigns/holdout';
import { suppressAddress } from '../../../src/modules/email/recipients/suppressions.service';
import { unsubscribeToken } from '../../../src/modules/email/recipients/unsubscribe-token';
import { createCampaign } from '../../helpers/campaigns';
import { signal } from '../../helpers/signal';
import { startTestApp, type TestApp } from '../../helpers/test-app';
import { createTestDatabase, type TestDatabase } from '../../helpers/test-database';

const TOKYO_MOMENT = '2026-03-08T00:00:00.000Z';
const SECRET = `whsec_${Buffer.from('a-test-signing-secret-of-32-bytes!').toString('base64')}`;
/** The advisory lock a test holds to pause a bounce once it has written its delivery's row. */
const BOUNCE_PAUSED = 8_102;

const signedEvent = (id: string, event: unknown) => {
  const body = JSON.stringify(event);
  const sentAt = new Date();
  return {
    method: 'POST',
    key: null,
    body,
    headers: {
      'content-type': 'application/json',
      'svix-id': id,
      'svix-timestamp': String(Math.floor(sentAt.getTime() / 1000)),
      'svix-signature': new Webhook(SECRET).sign(id, sentAt, body),
    },
  };
};

/**
 * A held-out account is held out only while the email could reach it, so a suppression (or its
 * lifting) and a sync planning an account with the address must each plan what the other
 * committed. Each test lines up the unlucky moment: one has planned and not yet committed when
 * the other starts, and commits once the other waits for it (or is done). PGlite runs one
 * transaction at a time, so there the two run one after the other.
 */
describe('suppressions beside account syncs', () => {
  let database: TestDatabase;
  let t: TestApp;
  let campaignId: string;
  beforeAll(async () => {
    database = await createTestDatabase();
    t = await startTestApp({ database, env: { RESEND_WEBHOOK_SECRET: SECRET } });
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    await t.deps.db.execute(
      sql`truncate campaigns, accounts, events, email_suppressions, outbox_messages, webhook_receipts cascade`,
    );
    t.clock.set('2026-03-02T09:00:00Z');
    const campaign = await createCampaign(t, {
      channels: ['email'],
      title: 'Database upgrade',
      body: 'The dashboard will be read-only for two hours.',
      holdout_percent: 50,
      email: { template: 'maintenance', send_at: TOKYO_MOMENT },
    });
    campaignId = campaign.id;
  });

  const held = (prefix: string) => {
    for (let n = 0; ; n++) if (isHeldOut(campaignId, `${prefix}-${n}`, 50)) return `${prefix}-${n}`;
  };
  async function syncAccount(id: string, addresses: string[]) {
    const contacts = addresses.map((address) => ({ email: `${address}@example.com` }));
    const response = await t.request('/v1/accounts/batch', {
      method: 'POST',
      json: { accounts: [{ id, contacts }] },
    });
    expect(response.status, await response.clone().text()).toBe(200);
  }
  const holdoutExposures = async () =>
    Object.fromEntries(
      rowsOf<{ account_id: string; first_at: string }>(
        await t.deps.db.execute(sql`
          select account_id, first_at::text as first_at from exposures
          where campaign_id = ${campaignId} and "group" = 'holdout' and channel = 'email'
          order by account_id`),
      ).map((e) => [e.account_id, new Date(e.first_at).toISOString()]),
    );

  const postgres = () => t.database.driver === 'postgres';
  /** Whether a transaction of this test's database waits for a lock. */
  const someoneWaits = async () =>
    rowsOf(
      await t.deps.db.execute(sql`
        select 1 from pg_locks l join pg_stat_activity a on a.pid = l.pid
        where not l.granted and a.datname = current_database()`),
    ).length > 0;
  /** How many transactions of this test's database wait for a lock. */
  const waiting = async () =>
    rowsOf(
      await t.deps.db.execute(sql`
        select 1 from pg_locks l join pg_stat_activity a on a.pid = l.pid
        where not l.granted and a.datname = current_database()`),
    ).length;
  /** Resolves once `other` waits for a lock or is done. */
  async function untilWaitingOrDone(other: Promise<unknown>) {
    let settled = false;
    void other.then(
      () => (settled = true),
      () => (settled = true),
    );
    while (!settled && !(await someoneWaits())) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /**
   * Runs `first` (a change whose follow-up `step` plans), lets `other()` start once it has
   * planned, and lets it commit once `other()` waits or is done; on PGlite, one then the other.
   */
  async function beside<K extends 'afterAccountsChange' | 'afterCampaignChange'>(
    step: K,
    first: () => Promise<unknown>,
    other: () => Promise<unknown>,
  ) {
    if (!postgres()) {
      await first();
      await other();
      return;
    }
    const follow = t.deps[step] as (...args: Parameters<Deps[K]>) => Promise<void>;
    const planned = signal();
    const started = signal();
    let running: Promise<unknown> = Promise.resolve();
    // Only the first waits: a lifted bounce plans its accounts through the same follow-up.
    let paused = false;
    t.deps[step] = (async (...args: Parameters<Deps[K]>) => {
      await follow(...args);
      if (paused) return;
      paused = true;
      planned.fire();
      await started.fired;
      await untilWaitingOrDone(running);
    }) as Deps[K];
    try {
      const changing = first();
      await planned.fired;
      running = other();
      started.fire();
      await Promise.all([changing, running]);
    } finally {
      t.deps[step] = follow as Deps[K];
    }
  }
  const syncBeside = (id: string, addresses: string[], other: () => Promise<unknown>) =>
    beside('afterAccountsChange', () => syncAccount(id, addresses), other);
  async function patch(id: string, json: Record<string, unknown>) {
    const response = await t.request(`/v1/campaigns/${id}`, { method: 'PATCH', json });
    expect(response.status, await response.clone().text()).toBe(200);
  }

  const unsubscribe = async (address: string) => {
    const token = await unsubscribeToken(t.deps, {
      email: `${address}@example.com`,
      campaign: campaignId,
    });
    const response = await t.request(`/unsubscribe/${token}`, {
      method: 'POST',
      key: null,
      body: 'List-Unsubscribe=One-Click',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(response.status).toBe(200);
  };

  it('withdraws the holdout moment of an account whose only address unsubscribes while a sync plans it', async () => {
    const account = held('held');
    await syncAccount(account, ['only']);
    expect(await holdoutExposures()).toEqual({ [account]: TOKYO_MOMENT });

    await syncBeside(account, ['only'], () => unsubscribe('only'));
    // The email could not reach it: a plan of the whole audience holds it out from nothing.
    expect(await holdoutExposures()).toEqual({});
    await patch(campaignId, { title: 'Again' });
    expect(await holdoutExposures()).toEqual({});
  });

  it('gives the holdout moment back to an account a sync gives an address whose bounce is lifted meanwhile', async () => {
    // The address bounced for an account that no longer has it; ops lift the bounce as the
    // customer's sync gives it to a held-out account.
    await suppressAddress(t.deps, 'fixed@example.com', 'bounced', null);
    const account = held('held');
    await syncAccount(account, ['old']);
    expect(await holdoutExposures()).toEqual({ [account]: TOKYO_MOMENT });

    await syncBeside(account, ['fixed'], async () => {
      const lifted = await t.request('/v1/email-suppressions/fixed@example.com', {
        method: 'DELETE',
      });
      expect(lifted.status).toBe(204);
    });
    expect(await holdoutExposures()).toEqual({ [account]: TOKYO_MOMENT });
    await patch(campaignId, { title: 'Again' });
    expect(await holdoutExposures()).toEqual({ [account]: TOKYO_MOMENT });
  });

  it('withdraws the holdout moment of an account whose two addresses are suppressed at once', async () => {
    const account = held('held');
    await syncAccount(account, ['first', 'second']);
    expect(await holdoutExposures()).toEqual({ [account]: TOKYO_MOMENT });

    if (postgres()) {
      // One suppression has withdrawn what it could and not yet committed when the other starts.
      let second: Promise<void> = Promise.resolve();
      await t.deps.db.transaction(async (tx) => {
        await suppressAddress(t.deps, 'first@example.com', 'bounced', null, tx);
        second = unsubscribe('second');
        await untilWaitingOrDone(second);
      });
      await second;
    } else {
      await suppressAddress(t.deps, 'first@example.com', 'bounced', null);
      await unsubscribe('second');
    }
    expect(await holdoutExposures()).toEqual({});
  });

  it('withdraws the holdout moment of an account whose only address unsubscribes while its campaign is edited', async () => {
    const account = held('held');
    await syncAccount(account, ['only']);
    expect(await holdoutExposures()).toEqual({ [account]: TOKYO_MOMENT });

    await beside(
      'afterCampaignChange',
      () => patch(campaignId, { title: 'Database upgrade on Tuesday' }),
      () => unsubscribe('only'),
    );
    expect(await holdoutExposures()).toEqual({});
  });

  it('holds out no account whose only address unsubscribes while its campaign is published', async () => {
    const draft = await createCampaign(t, {
      channels: ['email'],
      title: 'Billing change',
      body: 'New prices from April.',
      holdout_percent: 50,
      email: { template: 'billing', send_at: TOKYO_MOMENT },
      publish: false,
    });
    const draftId = draft.id as string;
    let account = '';
    for (let n = 0; !account; n++) {
      const id = `draft-held-${n}`;
      if (isHeldOut(draftId, id, 50) && !isHeldOut(campaignId, id, 50)) account = id;
    }
    await syncAccount(account, ['only']);

    await beside(
      'afterCampaignChange',
      () => patch(draftId, { status: 'scheduled' }),
      () => unsubscribe('only'),
    );
    const exposures = rowsOf<{ campaign_id: string }>(
      await t.deps.db.execute(sql`
        select campaign_id from exposures where account_id = ${account} and "group" = 'holdout'`),
    );
    expect(exposures).toEqual([]);
  });

  it.runIf(process.env.TEST_DATABASE_URL)(
    'applies a bounce while its campaign is edited without a deadlock',
    async () => {
      const account = `treated-${[...Array(50).keys()].find((n) => !isHeldOut(campaignId, `treated-${n}`, 50))}`;
      await syncAccount(account, ['bouncing']);
      // As the sender records it: sent, with the provider's id.
      await t.deps.db.execute(sql`
        update email_deliveries set status = 'sent', provider_id = 'email-1', sent_at = now()
        where campaign_id = ${campaignId} and email = 'bouncing@example.com'`);
      // The bounce waits, holding the delivery's row, until the edit waits for it too.
      await t.deps.db.execute(
        sql.raw(`
          create function pause_bounce() returns trigger language plpgsql as $$
          begin
            perform pg_advisory_xact_lock_shared(${BOUNCE_PAUSED});
            return null;
          end $$`),
      );
      await t.deps.db.execute(sql`
        create trigger pause_bounce after update of status on email_deliveries
        for each row when (new.status = 'bounced') execute function pause_bounce()`);
      const other = await database.openAnother();
      const held = signal();
      const letGo = signal();
      const holding = other.db.transaction(async (tx) => {
        await tx.execute(sql`select pg_advisory_xact_lock(${BOUNCE_PAUSED})`);
        held.fire();
        await letGo.fired;
      });
      try {
        await held.fired;
        const bounce = t.request(
          '/v1/webhooks/resend',
          signedEvent('msg-bounce', {
            type: 'email.bounced',
            data: { email_id: 'email-1', bounce: { type: 'Permanent' } },
          }),
        );
        while ((await waiting()) < 1) await new Promise((resolve) => setTimeout(resolve, 20));
        const edit = t.request(`/v1/campaigns/${campaignId}`, {
          method: 'PATCH',
          json: { title: 'Database upgrade on Tuesday' },
        });
        while ((await waiting()) < 2) await new Promise((resolve) => setTimeout(resolve, 20));
        // Past the edit's one look for a deadlock, so a cycle the bounce closes is the bounce's.
        await new Promise((resolve) => setTimeout(resolve, 1_200));
        letGo.fire();
        await holding;
        const [bounced, edited] = await Promise.all([bounce, edit]);
        expect(bounced.status, await bounced.clone().text()).toBe(200);
        expect(edited.status, await edited.clone().text()).toBe(200);
        const suppressed = rowsOf(
          await t.deps.db.execute(
            sql`select 1 from email_suppressions where email = 'bouncing@example.com'`,
          ),
        );
        expect(suppressed).toHaveLength(1);
      } finally {
        letGo.fire();
        await holding.catch(() => {});
        await other.close();
        await t.deps.db.execute(sql`drop trigger pause_bounce on email_deliveries`);
        await t.deps.db.execute(sql`drop function pause_bounce()`);
      }
    },
  );
});
