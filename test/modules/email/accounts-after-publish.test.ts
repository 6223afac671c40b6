import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { rowsOf } from '../../../src/db/json-param';
import type { Deps } from '../../../src/deps';
import { isHeldOut } from '../../../src/modules/campaigns/holdout';
import { sendDueEmails } from '../../../src/modules/email/delivery/send-due-emails';
import { createCampaign } from '../../helpers/campaigns';
import { readJson } from '../../helpers/read-json';
import { startTestApp, type TestApp } from '../../helpers/test-app';

type DeliveryRow = { account_id: string; email: string; status: string; scheduled_for: string };

/** Accounts the product syncs after an email campaign was published are planned as they change. */
describe('email campaigns and accounts synced after publishing', () => {
  let t: TestApp;
  let eventId: string;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    await t.deps.db.execute(
      sql`truncate campaigns, accounts, events, email_suppressions, outbox_messages cascade`,
    );
    t.clock.set('2026-03-02T09:00:00Z');
    await syncAccounts([
      { id: 'acct-early', plan: 'pro', time_zone: 'Europe/Berlin', contacts: ['early'] },
    ]);
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

  type Account = { id: string; plan: string; time_zone?: string; contacts: string[] };
  const asInput = (a: Account) => ({
    id: a.id,
    plan: a.plan,
    time_zone: a.time_zone ?? 'Asia/Tokyo',
    contacts: a.contacts.map((name) => ({ email: `${name}@example.com`, name })),
  });
  async function syncAccounts(accounts: Account[]) {
    const response = await t.request('/v1/accounts/batch', {
      method: 'POST',
      json: { accounts: accounts.map(asInput) },
    });
    expect(response.status).toBe(200);
  }
  async function putAccount(account: Account) {
    const { id, ...body } = asInput(account);
    const response = await t.request(`/v1/accounts/${id}`, { method: 'PUT', json: body });
    expect(response.status, await response.clone().text()).toBeLessThan(300);
  }
  /** Pro accounts, two days before the event at 09:00 local time. */
  const proEmail = (overrides: Record<string, unknown> = {}) => ({
    channels: ['email'],
    title: 'Database upgrade',
    body: 'The dashboard will be read-only for two hours.',
    severity: 'maintenance',
    audience: { type: 'rule', all: [{ attribute: 'plan', op: 'eq', value: 'pro' }] },
    event_id: eventId,
    holdout_percent: 0,
    email: { template: 'maintenance', before_event: { days: 2 }, local_time: '09:00' },
    publish: true,
    ...overrides,
  });
  async function publishProEmail(overrides: Record<string, unknown> = {}) {
    return (await createCampaign(t, proEmail(overrides))).id as string;
  }
  const deliveries = async (campaignId: string) =>
    rowsOf<DeliveryRow>(
      await t.deps.db.execute(sql`
        select account_id, email, status, scheduled_for::text as scheduled_for
        from email_deliveries where campaign_id = ${campaignId} order by account_id, email`),
    ).map((d) => ({ ...d, scheduled_for: new Date(d.scheduled_for).toISOString() }));
  const statusOf = async (campaignId: string, email: string) =>
    (await deliveries(campaignId)).find((d) => d.email === email)?.status;

  it('plans an account that joins the audience after publishing at its own local time, and sends it', async () => {
    const campaign = await publishProEmail();
    expect((await deliveries(campaign)).map((d) => d.account_id)).toEqual(['acct-early']);

    await syncAccounts([
      { id: 'acct-late', plan: 'pro', time_zone: 'Asia/Tokyo', contacts: ['late'] },
      { id: 'acct-free', plan: 'free', contacts: ['free'] },
    ]);
    await putAccount({
      id: 'acct-put',
      plan: 'pro',
      time_zone: 'America/New_York',
      contacts: ['put'],
    });

    expect(await deliveries(campaign)).toEqual([
      // 09:00 local two days before the event's day there: 03-08 in Berlin and Tokyo, 03-07 in
      // New York, where it starts on 03-09 at 21:00 (EST).
      expect.objectContaining({
        account_id: 'acct-early',
        status: 'queued',
        scheduled_for: '2026-03-08T08:00:00.000Z',
      }),
      expect.objectContaining({
        account_id: 'acct-late',
        status: 'queued',
        scheduled_for: '2026-03-08T00:00:00.000Z',
      }),
      expect.objectContaining({
        account_id: 'acct-put',
        status: 'queued',
        scheduled_for: '2026-03-07T14:00:00.000Z',
      }),
    ]);
    t.clock.set('2026-03-08T14:00:00Z');
    expect((await sendDueEmails(t.deps)).sent).toBe(3);
    const outbox = await readJson(await t.request(`/v1/outbox?campaign_id=${campaign}`));
    expect(outbox.data.map((m: { to: string }) => m.to).sort()).toEqual([
      'early@example.com',
      'late@example.com',
      'put@example.com',
    ]);

    // Syncing after the send queues nothing twice; one that joins now is sent at once.
    await syncAccounts([
      { id: 'acct-late', plan: 'pro', time_zone: 'Asia/Tokyo', contacts: ['late'] },
      { id: 'acct-later', plan: 'pro', contacts: ['later'] },
    ]);
    expect(await statusOf(campaign, 'late@example.com')).toBe('sent');
    expect(await statusOf(campaign, 'later@example.com')).toBe('queued');
    expect((await sendDueEmails(t.deps)).sent).toBe(1);
  });

  it('cancels the queued email of an account that leaves the audience, changes its address or is deleted, and plans it again when it returns', async () => {
    await syncAccounts([
      { id: 'acct-a', plan: 'pro', contacts: ['a'] },
      { id: 'acct-b', plan: 'pro', contacts: ['b-old'] },
      { id: 'acct-c', plan: 'pro', contacts: ['c'] },
    ]);
    const campaign = await publishProEmail();
    expect((await deliveries(campaign)).map((d) => d.status)).toEqual([
      'queued',
      'queued',
      'queued',
      'queued',
    ]);

    await putAccount({ id: 'acct-a', plan: 'free', contacts: ['a'] });
    await putAccount({ id: 'acct-b', plan: 'pro', contacts: ['b-new'] });
    expect((await t.request('/v1/accounts/acct-c', { method: 'DELETE' })).status).toBe(204);
    expect(await statusOf(campaign, 'a@example.com')).toBe('cancelled');
    expect(await statusOf(campaign, 'b-old@example.com')).toBe('cancelled');
    expect(await statusOf(campaign, 'b-new@example.com')).toBe('queued');
    expect(await statusOf(campaign, 'c@example.com')).toBe('cancelled');
    // Other campaigns' and other accounts' deliveries are left as they were.
    expect(await statusOf(campaign, 'early@example.com')).toBe('queued');

    await putAccount({ id: 'acct-a', plan: 'pro', contacts: ['a'] });
    expect(await statusOf(campaign, 'a@example.com')).toBe('queued');
    t.clock.set('2026-03-08T14:00:00Z');
    await sendDueEmails(t.deps);
    const outbox = await readJson(await t.request(`/v1/outbox?campaign_id=${campaign}`));
    expect(outbox.data.map((m: { to: string }) => m.to).sort()).toEqual([
      'a@example.com',
      'b-new@example.com',
      'early@example.com',
    ]);
  });

  it('keeps the email to an address two accounts share while either is in the audience, timed and counted for one that is', async () => {
    await syncAccounts([
      { id: 'acct-a', plan: 'pro', time_zone: 'Europe/Berlin', contacts: ['shared'] },
      { id: 'acct-b', plan: 'pro', time_zone: 'Asia/Tokyo', contacts: ['shared'] },
    ]);
    const campaign = await publishProEmail();
    const shared = async () =>
      (await deliveries(campaign)).find((d) => d.email === 'shared@example.com');
    // Berlin's 09:00 on 03-08 for acct-a, the first account with the address; Tokyo's for b.
    const forA = {
      account_id: 'acct-a',
      status: 'queued',
      scheduled_for: '2026-03-08T08:00:00.000Z',
    };
    const forB = {
      account_id: 'acct-b',
      status: 'queued',
      scheduled_for: '2026-03-08T00:00:00.000Z',
    };
    expect(await shared()).toMatchObject(forA);

    await putAccount({ id: 'acct-b', plan: 'pro', time_zone: 'Asia/Tokyo', contacts: ['shared'] });
    expect(await shared()).toMatchObject(forA);
    await putAccount({
      id: 'acct-a',
      plan: 'free',
      time_zone: 'Europe/Berlin',
      contacts: ['shared'],
    });
    expect(await shared()).toMatchObject(forB);
    await putAccount({
      id: 'acct-a',
      plan: 'pro',
      time_zone: 'Europe/Berlin',
      contacts: ['shared'],
    });
    expect(await shared()).toMatchObject(forA);

    // The campaign's own change hands the address on as well.
    const audience = async (json: unknown) =>
      expect(
        (
          await t.request(`/v1/campaigns/${campaign}`, {
            method: 'PATCH',
            json: { audience: json },
          })
        ).status,
      ).toBe(200);
    await audience({ type: 'accounts', account_ids: ['acct-b', 'acct-early'] });
    expect(await shared()).toMatchObject(forB);
    await audience({ type: 'rule', all: [{ attribute: 'plan', op: 'eq', value: 'pro' }] });
    expect(await shared()).toMatchObject(forA);

    expect((await t.request('/v1/accounts/acct-a', { method: 'DELETE' })).status).toBe(204);
    expect(await shared()).toMatchObject(forB);
    t.clock.set('2026-03-08T14:00:00Z');
    expect((await sendDueEmails(t.deps)).sent).toBe(2);
    const treated = rowsOf<{ account_id: string }>(
      await t.deps.db.execute(sql`
        select account_id from exposures
        where campaign_id = ${campaign} and "group" = 'treated' order by account_id`),
    );
    expect(treated.map((e) => e.account_id)).toEqual(['acct-b', 'acct-early']);
  });

  it('cancels the email to an address once none of its accounts has it', async () => {
    await syncAccounts([
      { id: 'acct-a', plan: 'pro', contacts: ['shared'] },
      { id: 'acct-b', plan: 'pro', contacts: ['shared'] },
    ]);
    const campaign = await publishProEmail();
    await putAccount({ id: 'acct-a', plan: 'pro', contacts: ['a-own'] });
    expect(await statusOf(campaign, 'shared@example.com')).toBe('queued');
    await putAccount({ id: 'acct-b', plan: 'pro', contacts: ['b-own'] });
    expect(await statusOf(campaign, 'shared@example.com')).toBe('cancelled');
    expect(await statusOf(campaign, 'a-own@example.com')).toBe('queued');
    expect(await statusOf(campaign, 'b-own@example.com')).toBe('queued');
  });

  it('holds out a late account as it would a first one, and keeps its holdout moment once passed', async () => {
    const campaign = await publishProEmail({ holdout_percent: 50 });
    const ids = Array.from({ length: 12 }, (_, i) => `acct-late-${i}`);
    const heldOut = ids.filter((id) => isHeldOut(campaign, id, 50));
    expect(heldOut.length).toBeGreaterThan(0);
    expect(heldOut.length).toBeLessThan(ids.length);
    await syncAccounts(ids.map((id) => ({ id, plan: 'pro', contacts: [id] })));

    const planned = new Set((await deliveries(campaign)).map((d) => d.account_id));
    for (const id of ids) expect(planned.has(id), id).toBe(!heldOut.includes(id));
    const exposures = async () =>
      rowsOf<{ account_id: string; first_at: string }>(
        await t.deps.db.execute(sql`
          select account_id, first_at::text as first_at from exposures
          where campaign_id = ${campaign} and "group" = 'holdout' order by account_id`),
      ).map((e) => ({ ...e, first_at: new Date(e.first_at).toISOString() }));
    const held = (await exposures()).filter((e) => e.account_id.startsWith('acct-late-'));
    expect(held.map((e) => e.account_id)).toEqual([...heldOut].sort());
    // Tokyo, 09:00 two days before: when they would have been sent to.
    expect(new Set(held.map((e) => e.first_at))).toEqual(new Set(['2026-03-08T00:00:00.000Z']));

    // A nightly sync after that moment must not move it to the sync's time.
    t.clock.set('2026-03-09T03:00:00Z');
    await syncAccounts(ids.map((id) => ({ id, plan: 'pro', contacts: [id] })));
    const after = (await exposures()).filter((e) => e.account_id.startsWith('acct-late-'));
    expect(after).toEqual(held);
  });

  it('plans nothing for campaigns that are drafts, ended, cancelled or without email, and still takes the account', async () => {
    const draft = await publishProEmail({ publish: false });
    const ended = await publishProEmail({
      event_id: undefined,
      email: { template: 'maintenance' },
    });
    expect(
      (await t.request(`/v1/campaigns/${ended}`, { method: 'PATCH', json: { status: 'ended' } }))
        .status,
    ).toBe(200);
    const banner = await publishProEmail({
      channels: ['banner'],
      email: undefined,
      event_id: undefined,
    });
    await putAccount({ id: 'acct-new', plan: 'pro', contacts: ['new'] });
    for (const campaign of [draft, ended, banner]) {
      expect(await statusOf(campaign, 'new@example.com'), campaign).toBeUndefined();
    }
  });

  it('takes an account when an email timed by its event has no occurrence left, and leaves that plan alone', async () => {
    const campaign = await publishProEmail();
    // The event is over; the campaign runs on (no end), its email timed by an occurrence gone.
    t.clock.set('2026-03-11T00:00:00Z');
    await putAccount({ id: 'acct-new', plan: 'pro', contacts: ['new'] });
    expect(await statusOf(campaign, 'new@example.com')).toBeUndefined();
    expect(await statusOf(campaign, 'early@example.com')).toBe('queued');
  });

  /**
   * Runs `first`, and `second` once `first` has planned (its `step`), while `first` holds its
   * transaction open 300 ms longer, as a large batch or audience would.
   */
  async function whilePlanning<K extends 'afterAccountsChange' | 'afterCampaignChange'>(
    step: K,
    first: () => Response | Promise<Response>,
    second: () => Response | Promise<Response>,
  ) {
    const follow = t.deps[step] as (...args: Parameters<Deps[K]>) => Promise<void>;
    let planned = () => {};
    const planning = new Promise<void>((resolve) => {
      planned = resolve;
    });
    t.deps[step] = (async (...args: Parameters<Deps[K]>) => {
      await follow(...args);
      planned();
      await new Promise((resolve) => setTimeout(resolve, 300));
    }) as Deps[K];
    try {
      const firstDone = first();
      await planning;
      const answers: [Response, Response] = [await second(), await firstDone];
      for (const answer of answers) {
        expect(answer.status, await answer.clone().text()).toBeLessThan(300);
      }
      return answers;
    } finally {
      t.deps[step] = follow as Deps[K];
    }
  }

  it('plans an account synced while a campaign is published, by POST or PATCH, by that campaign', async () => {
    const sync = (id: string) => () =>
      t.request('/v1/accounts/batch', {
        method: 'POST',
        json: { accounts: [asInput({ id, plan: 'pro', contacts: [id] })] },
      });
    const publish = () => t.request('/v1/campaigns', { method: 'POST', json: proEmail() });
    const [byPost] = await whilePlanning('afterAccountsChange', sync('synced'), publish);
    const [, publishing] = await whilePlanning('afterCampaignChange', publish, sync('syncing'));
    const draftId = (await createCampaign(t, proEmail({ publish: false }))).id as string;
    await whilePlanning('afterAccountsChange', sync('patched'), () =>
      t.request(`/v1/campaigns/${draftId}`, { method: 'PATCH', json: { status: 'scheduled' } }),
    );

    const id = async (response: Response) => (await readJson(response)).id as string;
    expect(await statusOf(await id(byPost), 'synced@example.com')).toBe('queued');
    expect(await statusOf(await id(publishing), 'syncing@example.com')).toBe('queued');
    expect(await statusOf(draftId, 'patched@example.com')).toBe('queued');
  });

  it('syncs two batches at once whose accounts share addresses in opposite orders without a deadlock', async () => {
    await publishProEmail({ event_id: undefined, email: { template: 'maintenance' } });
    // Each batch's insert pauses half-way (a trigger sleeps on the "pause" addresses), so the
    // two always overlap: each has written its first shared address when it reaches the other.
    await t.deps.db.execute(sql`
      create function pause_delivery() returns trigger language plpgsql as $$
      begin
        if new.email like 'pause-%' then perform pg_sleep(0.5); end if;
        return new;
      end $$`);
    await t.deps.db.execute(sql`
      create trigger pause_delivery before insert on email_deliveries
      for each row execute function pause_delivery()`);
    const follow = t.deps.afterAccountsChange;
    let plans = 0;
    t.deps.afterAccountsChange = async (...args) => {
      plans++;
      await follow(...args);
    };
    try {
      const batch = (prefix: string, contacts: string[]) =>
        t.request('/v1/accounts/batch', {
          method: 'POST',
          json: {
            accounts: contacts.map((contact, i) =>
              asInput({ id: `${prefix}-${i}`, plan: 'pro', contacts: [contact] }),
            ),
          },
        });
      const answers = await Promise.all([
        batch('first', ['cross-1', 'pause-1', 'cross-2']),
        batch('second', ['cross-2', 'pause-2', 'cross-1']),
      ]);
      expect(answers.map((answer) => answer.status)).toEqual([200, 200]);
    } finally {
      t.deps.afterAccountsChange = follow;
      await t.deps.db.execute(sql`drop function pause_delivery cascade`);
    }
    // A deadlock is retried, so it shows as a third plan, the victim's second attempt.
    expect(plans).toBe(2);
  });

  it('lets the sender record a batch while a sync plans the same emails, without a deadlock', async () => {
    // Beta's email is planned at publishing and alpha's by a later sync, so the sender's batch
    // holds beta's first; a sync writes alpha's first (in account and in address order alike).
    await syncAccounts([{ id: 'acct-2', plan: 'pro', contacts: ['beta'] }]);
    await publishProEmail({ event_id: undefined, email: { template: 'maintenance' } });
    await syncAccounts([{ id: 'acct-1', plan: 'pro', contacts: ['alpha'] }]);
    await t.deps.db.execute(sql`
      create function pause_delivery() returns trigger language plpgsql as $$
      begin
        if new.email like 'apause%' then perform pg_sleep(1); end if;
        return new;
      end $$`);
    await t.deps.db.execute(sql`
      create trigger pause_delivery before insert on email_deliveries
      for each row execute function pause_delivery()`);
    const { sendBatch } = t.deps.mailer;
    const follow = t.deps.afterAccountsChange;
    let plans = 0;
    t.deps.afterAccountsChange = async (...args) => {
      plans++;
      await follow(...args);
    };
    let sent = () => {};
    const sending = new Promise<void>((resolve) => {
      sent = resolve;
    });
    let synced = false;
    // The batch is recorded once the sync has written alpha's email and paused before beta's.
    t.deps.mailer.sendBatch = async (emails, key) => {
      const outcome = await sendBatch(emails, key);
      sent();
      while (!synced) {
        const [paused] = rowsOf<{ count: number }>(
          await t.deps.db.execute(sql`
            select count(*)::int as count from pg_stat_activity
            where datname = current_database() and wait_event = 'PgSleep'`),
        );
        if (paused?.count) break;
      }
      return outcome;
    };
    try {
      const report = sendDueEmails(t.deps);
      await sending;
      const sync = await t.request('/v1/accounts/batch', {
        method: 'POST',
        json: {
          accounts: [
            asInput({ id: 'acct-1', plan: 'pro', contacts: ['alpha'] }),
            asInput({ id: 'acct-1p', plan: 'pro', contacts: ['apause'] }),
            asInput({ id: 'acct-2', plan: 'pro', contacts: ['beta'] }),
          ],
        },
      });
      synced = true;
      expect(sync.status).toBe(200);
      expect((await report).sent).toBe(4);
    } finally {
      t.deps.mailer.sendBatch = sendBatch;
      t.deps.afterAccountsChange = follow;
      await t.deps.db.execute(sql`drop function pause_delivery cascade`);
    }
    // The sync ran once: it was not a deadlock's victim either.
    expect(plans).toBe(1);
  });

  it('plans an account synced while a campaign change is being written by the changed campaign', async () => {
    const campaign = await publishProEmail({
      event_id: undefined,
      email: { template: 'maintenance', send_at: '2026-03-05T12:00:00Z' },
    });
    // The campaign change holds its transaction open after planning, as a large audience would;
    // an account synced meanwhile must be planned by the campaign as it is after the change.
    const follow = t.deps.afterCampaignChange;
    let planned = () => {};
    const planning = new Promise<void>((resolve) => {
      planned = resolve;
    });
    t.deps.afterCampaignChange = async (deps, tx, row, before) => {
      await follow(deps, tx, row, before);
      planned();
      await new Promise((resolve) => setTimeout(resolve, 300));
    };
    try {
      const moved = t.request(`/v1/campaigns/${campaign}`, {
        method: 'PATCH',
        json: { email: { template: 'maintenance', send_at: '2026-03-06T12:00:00Z' } },
      });
      await planning;
      const synced = await t.request('/v1/accounts/batch', {
        method: 'POST',
        json: { accounts: [asInput({ id: 'acct-during', plan: 'pro', contacts: ['during'] })] },
      });
      expect(synced.status).toBe(200);
      expect((await moved).status).toBe(200);
    } finally {
      t.deps.afterCampaignChange = follow;
    }
    expect(await deliveries(campaign)).toEqual([
      expect.objectContaining({
        account_id: 'acct-during',
        scheduled_for: '2026-03-06T12:00:00.000Z',
      }),
      expect.objectContaining({
        account_id: 'acct-early',
        scheduled_for: '2026-03-06T12:00:00.000Z',
      }),
    ]);
  });
});
