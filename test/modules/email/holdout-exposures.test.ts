import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { rowsOf } from '../../../src/db/json-param';
import { isHeldOut } from '../../../src/modules/campaigns/holdout';
import { sendDueEmails } from '../../../src/modules/email/delivery/send-due-emails';
import { suppressAddress } from '../../../src/modules/email/recipients/suppressions.service';
import { createCampaign } from '../../helpers/campaigns';
import { consoleClient } from '../../helpers/console-client';
import { readJson } from '../../helpers/read-json';
import { signal } from '../../helpers/signal';
import { startTestApp, type TestApp } from '../../helpers/test-app';

const TOKYO_MOMENT = '2026-03-08T00:00:00.000Z';
const NEW_YORK_MOMENT = '2026-03-07T14:00:00.000Z';
/** Two days before the event, at 09:00 in each recipient's zone. */
const EMAIL = { template: 'maintenance', before_event: { days: 2 }, local_time: '09:00' };

/**
 * A held-out account's exposure is the moment it would have been sent the email: it follows
 * what happens to a treated account's queued email, or the groups stop being alike.
 */
describe('holdout exposures of email campaigns', () => {
  let t: TestApp;
  let eventId: string;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    await t.deps.db.execute(
      sql`truncate campaigns, accounts, events, tickets, email_suppressions, outbox_messages cascade`,
    );
    t.clock.set('2026-03-02T09:00:00Z');
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

  type Account = { id: string; plan?: string; time_zone?: string; contacts?: string[] };
  const asInput = (a: Account) => ({
    id: a.id,
    plan: a.plan ?? 'pro',
    time_zone: a.time_zone ?? 'Asia/Tokyo',
    contacts: (a.contacts ?? [a.id]).map((name) => ({ email: `${name}@example.com`, name })),
  });
  async function syncAccounts(accounts: Account[]) {
    const response = await t.request('/v1/accounts/batch', {
      method: 'POST',
      json: { accounts: accounts.map(asInput) },
    });
    expect(response.status, await response.clone().text()).toBe(200);
  }
  async function patch(campaignId: string, json: Record<string, unknown>) {
    const response = await t.request(`/v1/campaigns/${campaignId}`, { method: 'PATCH', json });
    expect(response.status, await response.clone().text()).toBe(200);
  }

  /**
   * A 50% holdout email for pro accounts, 09:00 local two days before the event, drafted first
   * so its accounts can be named for the group the holdout hash puts them in: `held(prefix)`
   * and `treated(prefix)` give the first such id `prefix-n`, to sync before publishing.
   */
  async function draftEmail(overrides: Record<string, unknown> = {}) {
    const { id } = await createCampaign(t, {
      channels: ['email'],
      title: 'Database upgrade',
      body: 'The dashboard will be read-only for two hours.',
      severity: 'maintenance',
      audience: { type: 'rule', all: [{ attribute: 'plan', op: 'eq', value: 'pro' }] },
      event_id: eventId,
      holdout_percent: 50,
      email: EMAIL,
      publish: false,
      ...overrides,
    });
    const named = (prefix: string, held: boolean) => {
      for (let n = 0; ; n++) {
        if (isHeldOut(id, `${prefix}-${n}`, 50) === held) return `${prefix}-${n}`;
      }
    };
    return {
      id,
      held: (prefix: string) => named(prefix, true),
      treated: (prefix: string) => named(prefix, false),
      publish: () => patch(id, { status: 'scheduled' }),
    };
  }

  const holdoutExposures = async (campaignId: string) =>
    Object.fromEntries(
      rowsOf<{ account_id: string; first_at: string }>(
        await t.deps.db.execute(sql`
          select account_id, first_at::text as first_at from exposures
          where campaign_id = ${campaignId} and "group" = 'holdout' and channel = 'email'
          order by account_id`),
      ).map((e) => [e.account_id, new Date(e.first_at).toISOString()]),
    );
  const deliveryStatus = async (campaignId: string, accountId: string) =>
    rowsOf<{ status: string }>(
      await t.deps.db.execute(sql`
        select status from email_deliveries
        where campaign_id = ${campaignId} and account_id = ${accountId}`),
    ).map((d) => d.status);

  it('withdraws the future holdout moment of an account that leaves the audience, loses its addresses or is deleted, and gives it back when it returns', async () => {
    const campaign = await draftEmail();
    const leaves = campaign.held('leaves');
    const unreachable = campaign.held('unreachable');
    const deleted = campaign.held('deleted');
    const stays = campaign.held('stays');
    const treated = campaign.treated('treated');
    await syncAccounts([{ id: leaves }, { id: unreachable }, { id: deleted }, { id: stays }]);
    await syncAccounts([{ id: treated }]);
    await campaign.publish();
    const all = {
      [deleted]: TOKYO_MOMENT,
      [leaves]: TOKYO_MOMENT,
      [stays]: TOKYO_MOMENT,
      [unreachable]: TOKYO_MOMENT,
    };
    expect(await holdoutExposures(campaign.id)).toEqual(all);

    await syncAccounts([
      { id: leaves, plan: 'free' },
      { id: unreachable, contacts: [] },
      { id: treated, plan: 'free' },
    ]);
    expect((await t.request(`/v1/accounts/${deleted}`, { method: 'DELETE' })).status).toBe(204);
    // The treated account's email is cancelled; its held-out counterparts are no longer exposed.
    expect(await deliveryStatus(campaign.id, treated)).toEqual(['cancelled']);
    expect(await holdoutExposures(campaign.id)).toEqual({ [stays]: TOKYO_MOMENT });

    await syncAccounts([{ id: leaves }, { id: unreachable }, { id: deleted }, { id: treated }]);
    expect(await deliveryStatus(campaign.id, treated)).toEqual(['queued']);
    expect(await holdoutExposures(campaign.id)).toEqual(all);

    // Once the moment has passed, the held-out accounts were exposed, as the treated one was
    // sent its email: leaving or being deleted after it changes neither group.
    t.clock.set('2026-03-08T01:00:00Z');
    expect((await sendDueEmails(t.deps)).sent).toBe(1);
    await syncAccounts([
      { id: leaves, plan: 'free' },
      { id: unreachable, contacts: [] },
      { id: treated, plan: 'free' },
    ]);
    expect((await t.request(`/v1/accounts/${deleted}`, { method: 'DELETE' })).status).toBe(204);
    expect(await deliveryStatus(campaign.id, treated)).toEqual(['sent']);
    expect(await holdoutExposures(campaign.id)).toEqual(all);
  });

  it('gives a held-out account sharing an address the moment a full plan gives it when the account that took the address leaves, and takes it back when that one returns', async () => {
    const campaign = await draftEmail();
    // The treated account sorts first, so a full plan sends it the shared address and the
    // held-out one has no address left to be held out from.
    const taker = campaign.treated('a-taker');
    const sharer = campaign.held('b-sharer');
    await syncAccounts([
      { id: taker, contacts: ['shared'] },
      { id: sharer, contacts: ['shared'] },
    ]);
    await campaign.publish();
    expect(await holdoutExposures(campaign.id)).toEqual({});

    await syncAccounts([{ id: taker, plan: 'free', contacts: ['shared'] }]);
    expect(await deliveryStatus(campaign.id, taker)).toEqual(['cancelled']);
    expect(await holdoutExposures(campaign.id)).toEqual({ [sharer]: TOKYO_MOMENT });
    // The campaign's own plan of its whole audience agrees.
    await patch(campaign.id, { title: 'Database upgrade on Tuesday' });
    expect(await holdoutExposures(campaign.id)).toEqual({ [sharer]: TOKYO_MOMENT });

    await syncAccounts([{ id: taker, contacts: ['shared'] }]);
    expect(await deliveryStatus(campaign.id, taker)).toEqual(['queued']);
    expect(await holdoutExposures(campaign.id)).toEqual({});
    await patch(campaign.id, { title: 'Database upgrade' });
    expect(await holdoutExposures(campaign.id)).toEqual({});
  });

  it('holds out no account a sync plans beside a changed one when a full plan finds its other address taken', async () => {
    const campaign = await draftEmail();
    // In id order: one account takes address y, the changed one takes x, and the held-out one
    // after them, with x and y, has no address left: a full plan holds it out from nothing.
    const other = campaign.treated('a-other');
    const changed = campaign.treated('b-changed');
    const both = campaign.held('c-both');
    await syncAccounts([
      { id: other, contacts: ['y'] },
      { id: changed, contacts: ['x'] },
      { id: both, contacts: ['x', 'y'] },
    ]);
    await campaign.publish();
    expect(await holdoutExposures(campaign.id)).toEqual({});
    // A sync of the account with x plans the one sharing x beside it; y is still taken.
    await syncAccounts([{ id: changed, contacts: ['x', 'z'] }]);
    expect(await deliveryStatus(campaign.id, changed)).toEqual(['queued', 'queued']);
    expect(await holdoutExposures(campaign.id)).toEqual({});
    // The campaign's own plan of its whole audience agrees.
    await patch(campaign.id, { title: 'Database upgrade on Tuesday' });
    expect(await holdoutExposures(campaign.id)).toEqual({});
    // Once the account with y gives it up, the held-out one can be reached, and is held out.
    await syncAccounts([{ id: other, contacts: ['w'] }]);
    expect(await holdoutExposures(campaign.id)).toEqual({ [both]: TOKYO_MOMENT });
  });

  it('plans a held-out account sharing an address with two accounts synced at once as a full plan would', async () => {
    const campaign = await draftEmail();
    // In id order: the first account takes the shared address, so the held-out one after both
    // has nothing left to be held out from.
    const leaving = campaign.treated('a-leaving');
    const staying = campaign.treated('b-staying');
    const held = campaign.held('c-held');
    await syncAccounts([leaving, staying, held].map((id) => ({ id, contacts: ['shared'] })));
    await campaign.publish();
    expect(await holdoutExposures(campaign.id)).toEqual({});
    // One gives the address up, and plans once the other, keeping it (and so taking it), has
    // planned and not yet committed: the held-out one still cannot be reached. PGlite runs one
    // transaction at a time, so there the two run one after the other as they come.
    const follow = t.deps.afterAccountsChange;
    const leavingWritten = signal();
    const stayingPlanned = signal();
    if (t.database.driver === 'postgres') {
      t.deps.afterAccountsChange = async (deps, tx, ids, addresses) => {
        if (ids.includes(leaving)) {
          leavingWritten.fire();
          await stayingPlanned.fired;
        } else await leavingWritten.fired;
        await follow(deps, tx, ids, addresses);
        if (ids.includes(staying)) {
          stayingPlanned.fire();
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
      };
    }
    try {
      await Promise.all([
        syncAccounts([{ id: staying, contacts: ['shared', 'staying'] }]),
        syncAccounts([{ id: leaving, contacts: ['leaving'] }]),
      ]);
    } finally {
      t.deps.afterAccountsChange = follow;
    }
    expect(await deliveryStatus(campaign.id, staying)).toEqual(['queued', 'queued']);
    expect(await holdoutExposures(campaign.id)).toEqual({});
  });

  it('leaves, after a sync and an edit at once over accounts sharing addresses, the plan the campaign itself would make', async () => {
    const campaign = await draftEmail();
    // 200 accounts, each with one to three of 120 addresses: chains of shared addresses.
    let seed = 7;
    const draw = (n: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed % n;
    };
    const account = (n: number): Account => ({
      id: `acct-${String(n).padStart(3, '0')}`,
      contacts: Array.from({ length: 1 + draw(3) }, () => `shared-${draw(120)}`),
    });
    await syncAccounts(Array.from({ length: 200 }, (_, n) => account(n)));
    await campaign.publish();
    const plan = async () => ({
      heldOut: await holdoutExposures(campaign.id),
      queued: rowsOf<{ account_id: string; email: string }>(
        await t.deps.db.execute(sql`
          select account_id, email from email_deliveries
          where campaign_id = ${campaign.id} and status = 'queued' order by email`),
      ),
    });
    for (let round = 0; round < 5; round++) {
      const changed = Array.from({ length: 5 }, () => account(draw(200)));
      await Promise.all([
        patch(campaign.id, { title: `Database upgrade ${round}` }),
        syncAccounts(changed),
      ]);
      const afterSync = await plan();
      await patch(campaign.id, { title: 'Database upgrade' });
      expect(afterSync, `round ${round}`).toEqual(await plan());
    }
  });

  it('leaves, after syncs at once of accounts sharing addresses with a third, and an edit, the plan the campaign itself would make', async () => {
    const campaign = await draftEmail();
    // 80 accounts, each with one to three of 30 addresses: most share one with several others.
    let seed = 11;
    const draw = (n: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed % n;
    };
    const contactsOf = new Map<string, string[]>();
    const addresses = (n: number) => Array.from({ length: n }, () => `shared-${draw(30)}`);
    const ids = Array.from({ length: 80 }, (_, n) => `acct-${String(n).padStart(2, '0')}`);
    for (const id of ids) contactsOf.set(id, addresses(1 + draw(3)));
    await syncAccounts(ids.map((id) => ({ id, contacts: contactsOf.get(id) })));
    await campaign.publish();
    const plan = async () => ({
      heldOut: await holdoutExposures(campaign.id),
      queued: rowsOf<{ account_id: string; email: string }>(
        await t.deps.db.execute(sql`
          select account_id, email from email_deliveries
          where campaign_id = ${campaign.id} and status = 'queued' order by email`),
      ),
    });
    const change = async (id: string) => {
      // Deleted, moved out of the audience, or given other addresses (keeping one or not).
      if (draw(6) === 0 && contactsOf.delete(id)) {
        expect((await t.request(`/v1/accounts/${id}`, { method: 'DELETE' })).status).toBe(204);
        return;
      }
      const kept = (contactsOf.get(id) ?? []).filter(() => draw(2) === 0);
      const contacts = [...kept, ...addresses(draw(3))];
      contactsOf.set(id, contacts);
      await syncAccounts([{ id, contacts, plan: draw(4) === 0 ? 'free' : 'pro' }]);
    };
    for (let round = 0; round < 40; round++) {
      const third = ids[draw(ids.length)] ?? '';
      const its = new Set(contactsOf.get(third));
      const sharers = ids.filter(
        (id) => id !== third && contactsOf.get(id)?.some((address) => its.has(address)),
      );
      const syncing = [...new Set(Array.from({ length: 6 }, () => sharers[draw(sharers.length)]))];
      await Promise.all([
        ...syncing.flatMap((id) => (id ? [change(id)] : [])),
        ...(round % 3 === 2 ? [patch(campaign.id, { title: `Database upgrade ${round}` })] : []),
      ]);
      const afterSyncs = await plan();
      await patch(campaign.id, { title: 'Database upgrade' });
      expect(afterSyncs, `round ${round}, syncing ${syncing.join(' ')} beside ${third}`).toEqual(
        await plan(),
      );
    }
  });

  it('withdraws future holdout moments when an edit narrows the audience or takes the email channel off, gives them back with it, and keeps those passed', async () => {
    const campaign = await draftEmail();
    const tokyo = campaign.held('tokyo');
    const newYork = campaign.held('new-york');
    const treated = campaign.treated('treated');
    await syncAccounts([{ id: tokyo }, { id: newYork, time_zone: 'America/New_York' }]);
    await syncAccounts([{ id: treated }]);
    await campaign.publish();
    const both = { [newYork]: NEW_YORK_MOMENT, [tokyo]: TOKYO_MOMENT };
    expect(await holdoutExposures(campaign.id)).toEqual(both);
    // New York's moment has passed, Tokyo's has not.
    t.clock.set('2026-03-07T20:00:00Z');
    // The console counts those held out by now, as it counts the treated sent to by now; the
    // deliveries count those planned, beside the emails queued.
    const ops = consoleClient(t);
    await ops.signIn(t.adminKey);
    const page = await (await ops.get(`/console/campaigns/${campaign.id}`)).text();
    const cell = (label: string) =>
      new RegExp(`<td>${label}</td><td class="n">(\\d+)</td>`).exec(page)?.[1];
    expect(cell('Accounts exposed \\(treated\\)')).toBe('0');
    expect(cell('Accounts held out \\(would have been exposed\\)')).toBe('1');
    const heldOutAccounts = async () =>
      (await readJson(await t.request(`/v1/campaigns/${campaign.id}/deliveries`)))
        .held_out_accounts;
    expect(await heldOutAccounts()).toBe(2);

    const nobody = { type: 'accounts', account_ids: ['nobody'] };
    const pro = { type: 'rule', all: [{ attribute: 'plan', op: 'eq', value: 'pro' }] };

    await patch(campaign.id, { audience: nobody });
    expect(await deliveryStatus(campaign.id, treated)).toEqual(['cancelled']);
    expect(await holdoutExposures(campaign.id)).toEqual({ [newYork]: NEW_YORK_MOMENT });
    expect(await heldOutAccounts()).toBe(1);
    await patch(campaign.id, { audience: pro });
    expect(await deliveryStatus(campaign.id, treated)).toEqual(['queued']);
    expect(await holdoutExposures(campaign.id)).toEqual(both);

    await patch(campaign.id, { channels: ['banner'] });
    expect(await deliveryStatus(campaign.id, treated)).toEqual(['cancelled']);
    expect(await holdoutExposures(campaign.id)).toEqual({ [newYork]: NEW_YORK_MOMENT });
    // The email settings went with the channel; they come back with it.
    await patch(campaign.id, { channels: ['email'], email: EMAIL });
    expect(await deliveryStatus(campaign.id, treated)).toEqual(['queued']);
    expect(await holdoutExposures(campaign.id)).toEqual(both);

    await patch(campaign.id, { status: 'ended' });
    expect(await deliveryStatus(campaign.id, treated)).toEqual(['cancelled']);
    expect(await holdoutExposures(campaign.id)).toEqual({ [newYork]: NEW_YORK_MOMENT });
  });

  it('holds out no account from an email the campaign ends or is cancelled before', async () => {
    // Ends on its own schedule before the email is due: the sender cancels the treated email.
    const ending = await draftEmail({ ends_at: '2026-03-07T12:00:00Z' });
    const held = ending.held('held');
    const treated = ending.treated('treated');
    await syncAccounts([{ id: held }, { id: treated }]);
    await ending.publish();
    // Cancelled before it starts: its queue is cancelled at once.
    const cancelled = await draftEmail({ starts_at: '2026-03-05T00:00:00Z' });
    await syncAccounts([{ id: cancelled.held('other-held') }]);
    await cancelled.publish();
    expect(await holdoutExposures(cancelled.id)).not.toEqual({});
    await patch(cancelled.id, { status: 'cancelled' });
    expect(await holdoutExposures(cancelled.id)).toEqual({});

    t.clock.set('2026-03-08T01:00:00Z');
    expect((await sendDueEmails(t.deps)).sent).toBe(0);
    expect(await deliveryStatus(ending.id, treated)).toEqual(['cancelled']);
    expect(await holdoutExposures(ending.id)).toEqual({});
  });

  it('withdraws the holdout moment of an account whose last address is suppressed before it', async () => {
    const campaign = await draftEmail();
    const lost = campaign.held('lost');
    const kept = campaign.held('kept');
    const treated = campaign.treated('treated');
    await syncAccounts([
      { id: lost, contacts: ['lost'] },
      { id: kept, contacts: ['kept', 'kept-other'] },
      { id: treated, contacts: ['treated'] },
    ]);
    await campaign.publish();
    // An email from another campaign, now, carries the links its recipients unsubscribe by.
    await createCampaign(t, { channels: ['email'], title: 'Welcome', body: 'Hello' });
    expect((await sendDueEmails(t.deps)).sent).toBe(4);
    for (const address of ['lost', 'kept', 'treated']) {
      const [message] = rowsOf<{ headers: Record<string, string> }>(
        await t.deps.db.execute(sql`
          select headers from outbox_messages where "to" = ${`${address}@example.com`}`),
      );
      const link = new URL((message?.headers['List-Unsubscribe'] ?? '').slice(1, -1)).pathname;
      const unsubscribed = await t.request(link, {
        method: 'POST',
        key: null,
        body: 'List-Unsubscribe=One-Click',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      expect(unsubscribed.status).toBe(200);
    }
    expect(await deliveryStatus(campaign.id, treated)).toEqual(['suppressed']);
    expect(await holdoutExposures(campaign.id)).toEqual({ [kept]: TOKYO_MOMENT });
  });

  it('gives back a treated email and a holdout moment alike when a bounce is lifted before the moment', async () => {
    const campaign = await draftEmail();
    const held = campaign.held('held');
    const treated = campaign.treated('treated');
    await syncAccounts([{ id: held }, { id: treated }]);
    await campaign.publish();
    // Both addresses bounce (as a Resend webhook's hard bounce records it).
    for (const id of [held, treated]) {
      await suppressAddress(t.deps, `${id}@example.com`, 'bounced', null);
    }
    expect(await deliveryStatus(campaign.id, treated)).toEqual(['suppressed']);
    expect(await holdoutExposures(campaign.id)).toEqual({});

    // Lifting a bounce plans its accounts again at once: both groups are back as they were.
    for (const id of [held, treated]) {
      const lifted = await t.request(`/v1/email-suppressions/${id}@example.com`, {
        method: 'DELETE',
      });
      expect(lifted.status).toBe(204);
    }
    expect(await deliveryStatus(campaign.id, treated)).toEqual(['queued']);
    expect(await holdoutExposures(campaign.id)).toEqual({ [held]: TOKYO_MOMENT });
    // A later plan of the whole audience agrees.
    await patch(campaign.id, { title: 'Database upgrade on Tuesday' });
    expect(await deliveryStatus(campaign.id, treated)).toEqual(['queued']);
    expect(await holdoutExposures(campaign.id)).toEqual({ [held]: TOKYO_MOMENT });
    t.clock.set('2026-03-08T01:00:00Z');
    expect((await sendDueEmails(t.deps)).sent).toBe(1);
  });

  it('leaves a treated email due but not yet sent to the sender, as a held-out moment just passed is kept', async () => {
    const campaign = await draftEmail();
    const leavesHeld = campaign.held('leaves-held');
    const leavesTreated = campaign.treated('leaves-treated');
    const staysHeld = campaign.held('stays-held');
    const staysTreated = campaign.treated('stays-treated');
    await syncAccounts([leavesHeld, leavesTreated, staysHeld, staysTreated].map((id) => ({ id })));
    await campaign.publish();
    const all = { [leavesHeld]: TOKYO_MOMENT, [staysHeld]: TOKYO_MOMENT };
    expect(await holdoutExposures(campaign.id)).toEqual(all);
    const scheduledFor = async (accountId: string) =>
      rowsOf<{ scheduled_for: string }>(
        await t.deps.db.execute(sql`
          select scheduled_for::text as scheduled_for from email_deliveries
          where campaign_id = ${campaign.id} and account_id = ${accountId}`),
      ).map((d) => new Date(d.scheduled_for).toISOString());

    // The moment has just passed and the sender has not polled since.
    t.clock.set('2026-03-08T00:00:05Z');
    // Leaving the audience, or a new send time, comes too late for either group.
    await syncAccounts([
      { id: leavesHeld, plan: 'free' },
      { id: leavesTreated, plan: 'free' },
    ]);
    expect(await deliveryStatus(campaign.id, leavesTreated)).toEqual(['queued']);
    await patch(campaign.id, { email: { ...EMAIL, local_time: '10:00' } });
    expect(await scheduledFor(staysTreated)).toEqual([TOKYO_MOMENT]);
    await patch(campaign.id, { audience: { type: 'accounts', account_ids: ['nobody'] } });
    expect(await deliveryStatus(campaign.id, staysTreated)).toEqual(['queued']);
    expect(await holdoutExposures(campaign.id)).toEqual(all);
    expect((await sendDueEmails(t.deps)).sent).toBe(2);
  });

  it('measures impact without a held-out account that left the audience before its moment', async () => {
    await t.request('/v1/reasons/billing', { method: 'PUT', json: { label: 'Billing' } });
    const campaign = await draftEmail({ target_reasons: ['billing'] });
    const stay = ['a', 'b', 'c'].map((prefix) => campaign.held(`stay-${prefix}`));
    const leaves = campaign.held('leaves');
    const treated = ['a', 'b', 'c'].map((prefix) => campaign.treated(`treated-${prefix}`));
    await syncAccounts([...stay, leaves, ...treated].map((id) => ({ id })));
    await campaign.publish();

    // The account that leaves is one that would have contacted support after the moment.
    await syncAccounts([{ id: leaves, plan: 'free' }]);
    t.clock.set('2026-03-08T01:00:00Z');
    expect((await sendDueEmails(t.deps)).sent).toBe(3);
    t.clock.set('2026-03-09T12:00:00Z');
    const tickets = await t.request('/v1/tickets', {
      method: 'POST',
      json: {
        tickets: [leaves, leaves, stay[0]].map((account_id, i) => ({
          source: 'api',
          external_id: `t-${i}`,
          account_id,
          reason: 'Billing',
          created_at: '2026-03-09T10:00:00Z',
        })),
      },
    });
    expect(tickets.status).toBe(200);

    const analyst = await t.keyFor('analyst');
    const impact = await t.request(`/v1/campaigns/${campaign.id}/impact`, { key: analyst });
    expect(impact.status).toBe(200);
    const { companion } = await readJson(impact);
    expect(companion.treated).toMatchObject({ accounts: 3, contacts: 0 });
    expect(companion.holdout).toMatchObject({ accounts: 3, contacts: 1 });
  });
});
