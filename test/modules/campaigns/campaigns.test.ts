import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { rowsOf } from '../../../src/db/json-param';
import { audienceSize } from '../../../src/modules/campaigns/audience-sql';
import { CampaignCreateSchema } from '../../../src/modules/campaigns/campaign-input';
import { createCampaign } from '../../../src/modules/campaigns/campaigns.service';
import { sendDueEmails } from '../../../src/modules/email/delivery/send-due-emails';
import { accountsWithEmails } from '../../helpers/accounts';
import { expectProblem } from '../../helpers/problem';
import { readJson } from '../../helpers/read-json';
import { signal } from '../../helpers/signal';
import { startTestApp, type TestApp } from '../../helpers/test-app';

// The test clock starts at 2026-03-02T09:00:00Z.
const banner = {
  channels: ['banner'],
  title: 'Maintenance on Sunday',
  body: 'The dashboard is **read-only** from 02:00 to 04:00 UTC. [Details](https://status.example.com)',
  severity: 'maintenance',
  starts_at: '2026-03-03T00:00:00Z',
  ends_at: '2026-03-08T04:00:00Z',
  audience: {
    type: 'rule',
    all: [{ attribute: 'components', op: 'contains', value: 'Dashboard' }],
  },
  holdout_percent: 10,
};

/** An email sent days before the maintenance it announces, to every account. */
const headsUpEmail = (holdout: number) => ({
  channels: ['email'],
  title: 'Maintenance on Sunday',
  body: 'The dashboard is read-only from 02:00 to 04:00 UTC.',
  audience: { type: 'all' },
  holdout_percent: holdout,
  starts_at: '2026-03-08T00:00:00Z',
  ends_at: '2026-03-08T04:00:00Z',
  email: { template: 'announcement', send_at: '2026-03-03T09:00:00Z' },
  publish: true,
});

describe('campaigns', () => {
  let t: TestApp;
  let opsKey: string;
  beforeAll(async () => {
    t = await startTestApp();
    opsKey = await t.keyFor('ops', 'Dana from ops');
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    await t.deps.db.execute(sql`truncate campaigns cascade`);
    t.clock.set('2026-03-02T09:00:00Z');
  });

  const create = (json: unknown) =>
    t.request('/v1/campaigns', { method: 'POST', json, key: opsKey });
  const patch = (id: string, json: unknown) =>
    t.request(`/v1/campaigns/${id}`, { method: 'PATCH', json, key: opsKey });
  const statusOf = async (id: string) =>
    (await readJson(await t.request(`/v1/campaigns/${id}`))).status;
  const campaignCount = async () =>
    rowsOf<{ n: number }>(await t.deps.db.execute(sql`select count(*)::int as n from campaigns`))[0]
      ?.n;

  it('takes a rule as large as the schema allows, with a holdout, in one statement per question', async () => {
    // 50 predicates of 1,000 values each: one condition per value overflowed the stack that
    // builds the statement (a 500, the campaign stored anyway).
    const values = (p: number) => Array.from({ length: 998 }, (_, v) => `plan-${p}-${v}`);
    const all = Array.from({ length: 50 }, (_, p) => ({
      attribute: p % 2 === 0 ? 'plan' : `attributes.tier${p}`,
      op: p % 3 === 0 ? 'in' : 'not_in',
      value: p % 3 === 0 ? [...values(p), 'pro', 7] : [...values(p), 'a', 'b'],
    }));
    const response = await create({
      ...banner,
      audience: { type: 'rule', all },
      holdout_percent: 10,
    });
    expect(response.status, await response.clone().text()).toBe(201);
    const created = await readJson(response);
    expect(created.warnings).toEqual([expect.objectContaining({ code: 'holdout_too_small' })]);
    expect(await campaignCount()).toBe(1);
    // The console's reach counts the audience with the same condition.
    expect(await audienceSize(t.deps.db, created.audience)).toBe(0);
  });

  it('warns of a holdout that cannot show a lift naming target reasons only when the campaign has some', async () => {
    for (const id of ['quiet-1', 'quiet-2']) {
      await t.request(`/v1/accounts/${id}`, { method: 'PUT', json: { plan: 'pro' }, key: opsKey });
    }
    // A reason the campaign may target, from a ticket long before the weeks the check reads.
    await t.request('/v1/tickets', {
      method: 'POST',
      json: {
        tickets: [
          {
            source: 'old',
            external_id: 'o1',
            account_id: 'quiet-1',
            reason: 'Billing',
            created_at: '2024-01-02',
          },
        ],
      },
      key: opsKey,
    });
    const audience = { type: 'accounts', account_ids: ['quiet-1', 'quiet-2'] };
    const warningOf = async (json: unknown) => {
      const response = await create(json);
      expect(response.status, await response.clone().text()).toBe(201);
      const [warning] = (await readJson(response)).warnings;
      expect(warning.code).toBe('holdout_too_small');
      return warning.message as string;
    };
    expect(await warningOf({ ...banner, audience })).toBe(
      'The audience (2 accounts) had no contacts in the last 56 days, so no holdout can show a 20% lift.',
    );
    expect(await warningOf({ ...banner, audience, target_reasons: ['Billing'] })).toBe(
      'The audience (2 accounts) had no contacts for the target reasons in the last 56 days, so ' +
        'no holdout can show a 20% lift.',
    );
  });

  // Two transactions at once need two connections: the embedded database runs one at a time.
  it.runIf(process.env.TEST_DATABASE_URL)(
    'refuses an edit that waited on a campaign ended meanwhile, rather than reopen it',
    async () => {
      const campaign = await readJson(
        await create({ ...banner, starts_at: '2026-03-02T08:00:00Z' }),
      );
      await patch(campaign.id, { status: 'scheduled' });
      expect(await statusOf(campaign.id)).toBe('active');
      const held = signal();
      const rowLocked = signal();
      // Another request ends the campaign, holding its row until it commits.
      const ending = t.deps.db.transaction(async (tx) => {
        await tx.execute(sql`select 1 from campaigns where id = ${campaign.id} for update`);
        rowLocked.fire();
        await held.fired;
        await tx.execute(
          sql`update campaigns set ends_at = '2026-03-02T09:00:01Z' where id = ${campaign.id}`,
        );
      });
      await rowLocked.fired;
      const edit = Promise.resolve(patch(campaign.id, { ends_at: '2027-01-01T00:00:00Z' }));
      await new Promise((resolve) => setTimeout(resolve, 300));
      t.clock.set('2026-03-02T09:00:02Z');
      held.fire();
      await ending;
      await expectProblem(await edit, 409, 'conflict');
      expect(await statusOf(campaign.id)).toBe('ended');
    },
  );

  // The lock is held from a second connection: the embedded database runs one at a time.
  it.runIf(process.env.TEST_DATABASE_URL)(
    'creates a campaign with a holdout_not_checked warning when the holdout check cannot finish within 5 s',
    async () => {
      const locked = signal();
      const release = signal();
      // As a migration rewriting the tickets table would: the check's read of tickets waits.
      const holder = t.deps.db.transaction(async (tx) => {
        await tx.execute(sql`lock table tickets in access exclusive mode`);
        locked.fire();
        await release.fired;
      });
      await locked.fired;
      try {
        const response = await create(banner);
        expect(response.status).toBe(201);
        const created = await readJson(response);
        expect(created.warnings).toEqual([
          {
            code: 'holdout_not_checked',
            message: expect.stringContaining('could not be worked out within 5 s'),
            minimum_detectable_lift: null,
            minimum_detectable_lift_unadjusted: null,
          },
        ]);
        expect(await statusOf(created.id)).toBe('draft');
        expect(await campaignCount()).toBe(1);
        const warned = t.logs.filter((line) => line.includes('holdout power not checked'));
        expect(warned).toEqual([expect.stringContaining('statement timeout')]);
      } finally {
        release.fire();
        await holder;
      }
    },
  );

  it('refuses a title or email subject that is not one line, and stores nothing', async () => {
    const subject = await expectProblem(
      await create({
        ...banner,
        channels: ['email'],
        email: { subject: 'Hi {{name}}\r\nBcc: someone@example.com' },
      }),
      400,
      'validation_failed',
    );
    expect(subject.errors).toEqual([
      expect.objectContaining({
        path: 'email.subject',
        message: expect.stringMatching(/one line/),
      }),
    ]);
    const title = await expectProblem(
      await create({ ...banner, title: 'Maintenance\nBcc: x' }),
      400,
      'validation_failed',
    );
    expect(title.errors).toEqual([expect.objectContaining({ path: 'title' })]);
    expect(await campaignCount()).toBe(0);
  });

  it('renders the Markdown body to sanitised HTML', async () => {
    const campaign = await readJson(
      await create({
        ...banner,
        body: '**Hi** <script>alert(1)</script> [x](javascript:alert(1)) [ok](https://example.com)',
      }),
    );
    expect(campaign.body_html).toContain('<strong>Hi</strong>');
    expect(campaign.body_html).not.toContain('<script');
    expect(campaign.body_html).not.toMatch(/href="javascript:/i);
    expect(campaign.body_html).toContain(
      '<a rel="noopener noreferrer" target="_blank" href="https://example.com">ok</a>',
    );
  });

  it('moves from draft to scheduled to active to ended by the clock alone', async () => {
    const created = await create(banner);
    expect(created.status).toBe(201);
    const campaign = await readJson(created);
    expect(campaign).toMatchObject({
      status: 'draft',
      version: 1,
      created_by: `Dana from ops (fst_${opsKey.slice(4, 12)}…)`,
    });

    const published = await readJson(await patch(campaign.id, { status: 'scheduled' }));
    expect(published.status).toBe('scheduled');
    t.clock.set('2026-03-03T00:00:00Z');
    expect(await statusOf(campaign.id)).toBe('active');
    const active = await readJson(await t.request('/v1/campaigns?status=active'));
    expect(active.data.map((c: { id: string }) => c.id)).toEqual([campaign.id]);
    t.clock.set('2026-03-08T04:00:00Z');
    expect(await statusOf(campaign.id)).toBe('ended');
    await expectProblem(await patch(campaign.id, { title: 'Too late' }), 409, 'conflict');
  });

  it('ends an active campaign now and cancels one that has not started', async () => {
    const live = await readJson(await create({ ...banner, starts_at: undefined, publish: true }));
    expect(live.status).toBe('active');
    expect(live.starts_at).toBe('2026-03-02T09:00:00.000Z');
    await expectProblem(await patch(live.id, { status: 'cancelled' }), 409, 'conflict');
    const ended = await readJson(await patch(live.id, { status: 'ended' }));
    expect(ended).toMatchObject({ status: 'ended', ends_at: '2026-03-02T09:00:00.000Z' });

    const later = await readJson(await create({ ...banner, publish: true }));
    expect(later.status).toBe('scheduled');
    expect((await readJson(await patch(later.id, { status: 'cancelled' }))).status).toBe(
      'cancelled',
    );
  });

  /** A campaign in `state`, made through the API as ops would. */
  const campaignIn = async (state: 'draft' | 'scheduled' | 'active' | 'ended' | 'cancelled') => {
    const live = state === 'active' || state === 'ended';
    const created = await readJson(
      await create(
        state === 'draft'
          ? banner
          : { ...banner, publish: true, starts_at: live ? undefined : banner.starts_at },
      ),
    );
    if (state === 'ended') await patch(created.id, { status: 'ended' });
    if (state === 'cancelled') await patch(created.id, { status: 'cancelled' });
    const campaign = await readJson(await t.request(`/v1/campaigns/${created.id}`));
    expect(campaign.status).toBe(state);
    return campaign;
  };
  const auditLength = async (id: string) =>
    (await readJson(await t.request(`/v1/campaigns/${id}/audit`))).data.length;

  it.each([
    ['draft', 'ended', /a draft; only an active campaign can end/],
    ['scheduled', 'ended', /scheduled; only an active campaign can end/],
    ['scheduled', 'scheduled', /scheduled already; only a draft can be published/],
    ['active', 'scheduled', /active already; only a draft can be published/],
    ['active', 'cancelled', /an active campaign ends \(status ended\)/],
    ['ended', 'scheduled', /has ended/],
    ['ended', 'ended', /has ended/],
    ['ended', 'cancelled', /has ended/],
    ['cancelled', 'scheduled', /was cancelled/],
    ['cancelled', 'ended', /was cancelled/],
    ['cancelled', 'cancelled', /was cancelled/],
  ] as const)(
    'answers a move from %s to %s with 409 and changes nothing',
    async (state, move, detail) => {
      const before = await campaignIn(state);
      const trail = await auditLength(before.id);
      const body = await expectProblem(
        await patch(before.id, { status: move, title: 'Changed on the way' }),
        409,
        'conflict',
      );
      expect(body.title).toBe('Conflict');
      expect(body.detail).toMatch(detail);
      expect(await readJson(await t.request(`/v1/campaigns/${before.id}`))).toEqual(before);
      expect(await auditLength(before.id)).toBe(trail);
    },
  );

  it('still answers a status the schema does not know, or a malformed change, with 400', async () => {
    const draft = await campaignIn('draft');
    const active = await expectProblem(
      await patch(draft.id, { status: 'active' }),
      400,
      'validation_failed',
    );
    expect(active.errors).toEqual([expect.objectContaining({ path: 'status' })]);
    // A body that is wrong in itself is refused as such, whatever the move it asks.
    const both = await expectProblem(
      await patch(draft.id, { status: 'ended', title: '' }),
      400,
      'validation_failed',
    );
    expect(both.errors).toEqual([expect.objectContaining({ path: 'title' })]);
    expect(await statusOf(draft.id)).toBe('draft');
  });

  it('keeps an audit trail of who changed what and when', async () => {
    const campaign = await readJson(await create(banner));
    t.clock.advance(60_000);
    await patch(campaign.id, { title: 'Maintenance moved to Monday' });
    await patch(campaign.id, { status: 'scheduled' });
    const trail = (await readJson(await t.request(`/v1/campaigns/${campaign.id}/audit`))).data;
    expect(trail.map((e: { action: string }) => e.action)).toEqual([
      'created',
      'updated',
      'scheduled',
    ]);
    expect(trail[1]).toMatchObject({
      at: '2026-03-02T09:01:00.000Z',
      actor: expect.stringContaining('Dana from ops'),
      changes: { title: { from: 'Maintenance on Sunday', to: 'Maintenance moved to Monday' } },
    });
    expect(Object.keys(trail[2].changes).sort()).toEqual(['published_at']);
  });

  it('pages through an audit trail with the cursors it issues, oldest first, every entry once', async () => {
    const campaign = await readJson(await create(banner));
    for (let i = 1; i <= 11; i++) {
      t.clock.advance(60_000);
      expect((await patch(campaign.id, { title: `Maintenance, take ${i}` })).status).toBe(200);
    }
    const whole = await readJson(await t.request(`/v1/campaigns/${campaign.id}/audit?limit=200`));
    expect(whole.data).toHaveLength(12);
    expect(whole.next_cursor).toBeNull();
    const seen: unknown[] = [];
    const sizes: number[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
      const response = await t.request(`/v1/campaigns/${campaign.id}/audit?limit=5${query}`);
      expect(response.status).toBe(200);
      const page = await readJson(response);
      seen.push(...page.data);
      sizes.push(page.data.length);
      cursor = page.next_cursor;
    } while (cursor && sizes.length < 10);
    expect(sizes).toEqual([5, 5, 2]);
    expect(seen).toEqual(whole.data);
    expect(seen.map((entry) => (entry as { at: string }).at)).toEqual(
      [...seen.map((entry) => (entry as { at: string }).at)].sort(),
    );

    // A cursor is a position in the trail it came from, not in another campaign's.
    const other = await readJson(await create(banner));
    const issued = (await readJson(await t.request(`/v1/campaigns/${campaign.id}/audit?limit=5`)))
      .next_cursor;
    await expectProblem(
      await t.request(`/v1/campaigns/${other.id}/audit?cursor=${encodeURIComponent(issued)}`),
      400,
      'validation_failed',
    );
  });

  it('refuses to move a published campaign’s start into the past, and changes nothing', async () => {
    // Published on 2 March for 3 March; on 2 March at 10:00 someone sets its start to 1 March.
    const scheduled = await readJson(await create({ ...banner, publish: true }));
    t.clock.set('2026-03-02T10:00:00Z');
    const problem = await expectProblem(
      await patch(scheduled.id, { starts_at: '2026-03-01T00:00:00Z' }),
      400,
      'validation_failed',
    );
    expect(problem.errors).toEqual([
      expect.objectContaining({ path: 'starts_at', message: expect.stringMatching(/in the past/) }),
    ]);
    expect(await readJson(await t.request(`/v1/campaigns/${scheduled.id}`))).toMatchObject({
      status: 'scheduled',
      starts_at: '2026-03-03T00:00:00.000Z',
      version: scheduled.version,
    });
    // Later, or sent back as it is, the start is taken.
    expect((await patch(scheduled.id, { starts_at: '2026-03-04T00:00:00Z' })).status).toBe(200);
    // A draft published back-dated is measured from its publication: that stays allowed.
    const draft = await readJson(await create({ ...banner, title: 'Draft' }));
    const published = await patch(draft.id, {
      status: 'scheduled',
      starts_at: '2026-03-01T00:00:00Z',
    });
    expect(published.status).toBe(200);
  });

  it('answers 409 to a change of the holdout once an email went out before the start, not while sends are planned', async () => {
    await accountsWithEmails(t, 20, 'heads-up');
    const headsUp = await readJson(await create(headsUpEmail(10)));
    // Planned only: the split is made again with the sends.
    expect((await patch(headsUp.id, { holdout_percent: 20 })).status).toBe(200);
    t.clock.set('2026-03-03T09:05:00Z');
    expect((await sendDueEmails(t.deps)).sent).toBeGreaterThan(0);
    expect(await statusOf(headsUp.id)).toBe('scheduled');
    // The groups are fixed now: accounts emailed, held-out ones counted from this moment.
    const problem = await expectProblem(
      await patch(headsUp.id, { holdout_percent: 5 }),
      409,
      'conflict',
    );
    expect(problem.detail).toContain('email has gone out');
    expect(problem.detail).toContain('holdout_percent');
    const after = await readJson(await t.request(`/v1/campaigns/${headsUp.id}`));
    expect(after.holdout_percent).toBe(20);
    expect((await patch(headsUp.id, { holdout_percent: 20, title: 'Sunday' })).status).toBe(200);
  });

  it('answers 409 to a change of the holdout once its email is due, before the sender has run', async () => {
    await accountsWithEmails(t, 5, 'due');
    const due = await readJson(await create(headsUpEmail(0)));
    // Due: the sender may be sending it now, and records who got it only once it has.
    t.clock.set('2026-03-03T09:01:00Z');
    await expectProblem(await patch(due.id, { holdout_percent: 20 }), 409, 'conflict');
    expect((await readJson(await t.request(`/v1/campaigns/${due.id}`))).holdout_percent).toBe(0);
  });

  it('answers 409 to a change of the holdout or start of an active campaign, changes nothing, and takes them unchanged', async () => {
    const live = await readJson(await create({ ...banner, starts_at: undefined, publish: true }));
    t.clock.set('2026-03-02T10:00:00Z');
    for (const change of [
      { holdout_percent: 20 },
      { starts_at: '2026-03-02T09:30:00Z' },
      { starts_at: '2026-03-04T00:00:00Z', title: 'Moved' },
    ]) {
      const problem = await expectProblem(await patch(live.id, change), 409, 'conflict');
      expect(problem.detail).toContain('The campaign is active');
      expect(problem.detail).toContain(Object.keys(change)[0]);
    }
    const after = await readJson(await t.request(`/v1/campaigns/${live.id}`));
    expect(after).toMatchObject({
      holdout_percent: 10,
      starts_at: '2026-03-02T09:00:00.000Z',
      title: banner.title,
      version: live.version,
    });
    // A client sending the campaign back whole repeats them as they are.
    const same = await patch(live.id, {
      holdout_percent: 10,
      starts_at: '2026-03-02T09:00:00Z',
      title: 'Maintenance, now with a new title',
    });
    expect(same.status).toBe(200);
    expect((await readJson(same)).title).toBe('Maintenance, now with a new title');
  });

  it.each([
    [
      'an unknown audience operator',
      { audience: { type: 'rule', all: [{ attribute: 'plan', op: 'like', value: 'x' }] } },
      'audience',
    ],
    [
      'an unknown attribute',
      { audience: { type: 'rule', any: [{ attribute: 'password', op: 'exists' }] } },
      'audience',
    ],
    ['ends_at before starts_at', { ends_at: '2026-03-02T00:00:00Z' }, 'ends_at'],
    [
      'a published window that ended already',
      { starts_at: '2026-02-01T00:00:00Z', ends_at: '2026-02-08T00:00:00Z', publish: true },
      'ends_at',
    ],
    ['a holdout of 80%', { holdout_percent: 80 }, 'holdout_percent'],
    [
      'a javascript: call to action',
      { cta: { label: 'Go', url: 'javascript:alert(1)' } },
      'cta.url',
    ],
    ['an unknown event', { event_id: '0192f0c4-0000-7000-8000-000000000000' }, 'event_id'],
  ])('rejects %s with 400 and saves nothing', async (_, change, path) => {
    const body = await expectProblem(
      await create({ ...banner, ...change }),
      400,
      'validation_failed',
    );
    expect(body.errors.map((e: { path: string }) => e.path).join(' ')).toContain(path);
    expect(await campaignCount()).toBe(0);
  });

  it.each([
    ['an unknown audience type', { type: 'segment' }, 'audience.type', '"all", "accounts", "rule"'],
    [
      'an unknown predicate op',
      { type: 'rule', any: [{ all: [{ attribute: 'plan', op: 'gt', value: 1 }] }] },
      'audience.any.0.all.0.op',
      '"eq", "in", "not_in", "exists", "contains"',
    ],
    ['an accounts audience without ids', { type: 'accounts' }, 'audience.account_ids', 'array'],
    ['a missing audience', undefined, 'audience', 'is required'],
  ])('names the part of %s that is wrong', async (_, audience, path, message) => {
    const body = await expectProblem(
      await create({ ...banner, audience }),
      400,
      'validation_failed',
    );
    expect(body.errors).toEqual([expect.objectContaining({ path })]);
    expect(body.errors[0].message).toContain(message);
    expect(await campaignCount()).toBe(0);
  });

  it('refuses a locale named __proto__ with 400 naming it, rather than drop it, and stores nothing', async () => {
    // Sent as text: a `__proto__` key in an object literal would set the literal's prototype.
    const body = JSON.stringify({ ...banner, locales: { fr: { title: 'Maintenance', body: '' } } });
    const withProto = body.replace('"fr":', '"__proto__":{"title":"Oups","body":""},"fr":');
    const refused = await expectProblem(
      await t.request('/v1/campaigns', {
        method: 'POST',
        key: opsKey,
        body: withProto,
        headers: { 'content-type': 'application/json' },
      }),
      400,
      'validation_failed',
    );
    expect(refused.errors).toEqual([
      expect.objectContaining({
        path: 'locales.__proto__',
        message: expect.stringMatching(/BCP 47/),
      }),
    ]);
    expect(await campaignCount()).toBe(0);
  });

  it('shows content in the locales given, rendered like the default', async () => {
    const campaign = await readJson(
      await create({
        ...banner,
        locales: { fr: { title: 'Maintenance dimanche', body: '*Lecture seule*' } },
      }),
    );
    expect(campaign.locales.fr).toEqual({
      title: 'Maintenance dimanche',
      body: '*Lecture seule*',
      body_html: '<p><em>Lecture seule</em></p>',
      cta_label: null,
    });
  });

  describe('linked to an event', () => {
    const maintenance = {
      kind: 'maintenance',
      title: 'Database upgrade',
      starts_at: '2026-12-28T10:00:00Z',
      ends_at: '2026-12-28T12:00:00Z',
    };
    let eventId: string;
    beforeEach(async () => {
      await t.deps.db.execute(sql`truncate events, accounts, outbox_messages cascade`);
      const accounts = [
        {
          id: 'acct-ny',
          time_zone: 'America/New_York',
          contacts: [{ email: 'ny@example.com', name: 'Nia' }],
        },
        {
          id: 'acct-tokyo',
          time_zone: 'Asia/Tokyo',
          contacts: [{ email: 'tokyo@example.com', name: 'Taro' }],
        },
      ];
      const batch = await t.request('/v1/accounts/batch', { method: 'POST', json: { accounts } });
      expect(batch.status).toBe(200);
      const event = await t.request('/v1/events', {
        method: 'POST',
        json: maintenance,
        key: opsKey,
      });
      expect(event.status).toBe(201);
      eventId = (await readJson(event)).id;
    });

    const opsActor = () => `Dana from ops (fst_${opsKey.slice(4, 12)}…)`;
    const putEvent = (changes: Record<string, unknown>) =>
      t.request(`/v1/events/${eventId}`, {
        method: 'PUT',
        json: { ...maintenance, ...changes },
        key: opsKey,
      });
    const deleteEvent = () => t.request(`/v1/events/${eventId}`, { method: 'DELETE', key: opsKey });
    const emailCampaign = (overrides: Record<string, unknown> = {}) => ({
      channels: ['email'],
      title: 'Database upgrade',
      body: 'The dashboard is **read-only** for two hours.',
      severity: 'maintenance',
      audience: { type: 'all' },
      event_id: eventId,
      holdout_percent: 0,
      email: { template: 'maintenance', before_event: { days: 2 } },
      publish: true,
      ...overrides,
    });
    const created = async (json: unknown) => {
      const response = await create(json);
      expect(response.status, await response.clone().text()).toBe(201);
      return readJson(response);
    };
    const get = async (id: string) => readJson(await t.request(`/v1/campaigns/${id}`));
    const trail = async (id: string) =>
      (await readJson(await t.request(`/v1/campaigns/${id}/audit`))).data;
    const deliveries = async (campaignId: string) =>
      rowsOf<{
        email: string;
        status: string;
        scheduled_for: Date | string;
        event_at: Date | string | null;
      }>(
        await t.deps.db.execute(sql`
          select email, status, scheduled_for, event_at from email_deliveries
          where campaign_id = ${campaignId} order by email`),
      ).map((d) => ({
        email: d.email,
        status: d.status,
        scheduled_for: new Date(d.scheduled_for).toISOString(),
        event_at: d.event_at === null ? null : new Date(d.event_at).toISOString(),
      }));
    const preview = async (campaignId: string, account: string) => {
      const response = await t.request(
        `/v1/campaigns/${campaignId}/email-preview?account=${account}&format=json`,
        { key: opsKey },
      );
      expect(response.status).toBe(200);
      return readJson(response);
    };

    it('moves the queued emails of a campaign whose event a calendar feed sent again moves', async () => {
      const feed = (start: string) =>
        [
          'BEGIN:VCALENDAR',
          'VERSION:2.0',
          'PRODID:-//forestall test//EN',
          'BEGIN:VEVENT',
          'UID:upgrade@example.com',
          `DTSTART:${start}T100000Z`,
          `DTEND:${start}T120000Z`,
          'SUMMARY:Database upgrade',
          'END:VEVENT',
          'END:VCALENDAR',
          '',
        ].join('\r\n');
      const importFeed = async (start: string) => {
        const response = await t.request('/v1/events/ics?kind=maintenance', {
          method: 'POST',
          body: feed(start),
          headers: { 'content-type': 'text/calendar' },
          key: opsKey,
        });
        expect(response.status, await response.clone().text()).toBe(200);
        return readJson(response);
      };
      expect(await importFeed('20261228')).toMatchObject({ imported: 1 });
      const [fromFeed] = rowsOf<{ id: string }>(
        await t.deps.db.execute(sql`select id from events where origin = 'ics'`),
      );
      const campaign = await created(emailCampaign({ event_id: fromFeed?.id }));
      expect((await deliveries(campaign.id)).map((d) => d.scheduled_for)).toEqual([
        '2026-12-26T10:00:00.000Z',
        '2026-12-26T10:00:00.000Z',
      ]);

      expect(await importFeed('20270118')).toMatchObject({ imported: 0, updated: 1 });
      expect(await deliveries(campaign.id)).toEqual(
        ['ny@example.com', 'tokyo@example.com'].map((email) => ({
          email,
          status: 'queued',
          scheduled_for: '2027-01-16T10:00:00.000Z',
          event_at: '2027-01-18T10:00:00.000Z',
        })),
      );
      const entries = await trail(campaign.id);
      expect(entries.map((e: { action: string }) => e.action)).toEqual(['created', 'event_moved']);
      expect(entries[1].actor).toBe(opsActor());
    });

    it('moves the queued emails of a campaign whose event moves, preview and all, and says so in its audit trail', async () => {
      const campaign = await created(emailCampaign());
      const queuedFor = (scheduledFor: string, eventAt: string) =>
        ['ny@example.com', 'tokyo@example.com'].map((email) => ({
          email,
          status: 'queued',
          scheduled_for: scheduledFor,
          event_at: eventAt,
        }));
      expect(await deliveries(campaign.id)).toEqual(
        queuedFor('2026-12-26T10:00:00.000Z', '2026-12-28T10:00:00.000Z'),
      );
      expect((await preview(campaign.id, 'acct-ny')).html).toMatch(
        /When: Monday, December 28, 2026 at 5:00\sAM/,
      );

      const moved = await putEvent({
        starts_at: '2027-01-18T10:00:00Z',
        ends_at: '2027-01-18T12:00:00Z',
      });
      expect(moved.status).toBe(200);

      expect(await deliveries(campaign.id)).toEqual(
        queuedFor('2027-01-16T10:00:00.000Z', '2027-01-18T10:00:00.000Z'),
      );
      const shown = await preview(campaign.id, 'acct-ny');
      expect(shown.scheduled_for).toBe('2027-01-16T10:00:00.000Z');
      expect(shown.html).toMatch(/When: Monday, January 18, 2027 at 5:00\sAM/);
      expect(shown.html).not.toContain('December 28');
      const entries = await trail(campaign.id);
      expect(entries.map((e: { action: string }) => e.action)).toEqual(['created', 'event_moved']);
      expect(entries[1]).toEqual({
        at: '2026-03-02T09:00:00.000Z',
        actor: opsActor(),
        action: 'event_moved',
        changes: {
          event: {
            from: {
              starts_at: '2026-12-28T10:00:00.000Z',
              ends_at: '2026-12-28T12:00:00.000Z',
              rrule: null,
              time_zone: null,
              excluded_starts: [],
              extra_starts: [],
            },
            to: {
              starts_at: '2027-01-18T10:00:00.000Z',
              ends_at: '2027-01-18T12:00:00.000Z',
              rrule: null,
              time_zone: null,
              excluded_starts: [],
              extra_starts: [],
            },
          },
          queued_emails: {
            from: {
              count: 2,
              event_at: '2026-12-28T10:00:00.000Z',
              first_send_at: '2026-12-26T10:00:00.000Z',
              last_send_at: '2026-12-26T10:00:00.000Z',
            },
            to: {
              count: 2,
              event_at: '2027-01-18T10:00:00.000Z',
              first_send_at: '2027-01-16T10:00:00.000Z',
              last_send_at: '2027-01-16T10:00:00.000Z',
            },
          },
        },
      });
      // The campaign's own window is not the event's: it stays as it was.
      expect(await get(campaign.id)).toMatchObject({
        event_id: eventId,
        starts_at: campaign.starts_at,
        ends_at: null,
        version: campaign.version,
      });

      // A change the emails take nothing from moves nothing and writes no entry.
      const renamed = await putEvent({
        title: 'Database upgrade (Postgres 18)',
        starts_at: '2027-01-18T10:00:00Z',
        ends_at: '2027-01-18T12:00:00Z',
      });
      expect(renamed.status).toBe(200);
      expect(await trail(campaign.id)).toHaveLength(2);
    });

    it('times its emails by the next start while an occurrence of the event is under way', async () => {
      expect((await putEvent({ rrule: 'FREQ=WEEKLY' })).status).toBe(200);
      // The 28 December upgrade runs 10:00–12:00; the next one is on 4 January.
      t.clock.set('2026-12-28T11:00:00Z');
      const campaign = await created(emailCampaign());
      expect((await deliveries(campaign.id)).map((d) => [d.scheduled_for, d.event_at])).toEqual([
        ['2027-01-02T10:00:00.000Z', '2027-01-04T10:00:00.000Z'],
        ['2027-01-02T10:00:00.000Z', '2027-01-04T10:00:00.000Z'],
      ]);
    });

    it('times its emails by the next start the event does not exclude, and re-plans when one is excluded or added', async () => {
      const weekly = { rrule: 'FREQ=WEEKLY', excluded_starts: ['2026-12-28T10:00:00Z'] };
      expect((await putEvent(weekly)).status).toBe(200);
      const campaign = await created(emailCampaign());
      const queuedFor = (scheduledFor: string, eventAt: string) =>
        ['ny@example.com', 'tokyo@example.com'].map((email) => ({
          email,
          status: 'queued',
          scheduled_for: scheduledFor,
          event_at: eventAt,
        }));
      // 28 December is excluded: the emails go two days before 4 January.
      expect(await deliveries(campaign.id)).toEqual(
        queuedFor('2027-01-02T10:00:00.000Z', '2027-01-04T10:00:00.000Z'),
      );

      // Excluding 4 January too (as a day) and adding 6 January moves them to the 6th.
      const moved = await putEvent({
        ...weekly,
        excluded_starts: ['2026-12-28T10:00:00Z', '2027-01-04'],
        extra_starts: ['2027-01-06T10:00:00Z'],
      });
      expect(moved.status).toBe(200);
      expect(await deliveries(campaign.id)).toEqual(
        queuedFor('2027-01-04T10:00:00.000Z', '2027-01-06T10:00:00.000Z'),
      );
      const [, entry] = await trail(campaign.id);
      expect(entry).toMatchObject({ action: 'event_moved' });
      expect(entry.changes.event.to).toMatchObject({
        excluded_starts: ['2026-12-28T10:00:00.000Z', '2027-01-04'],
        extra_starts: ['2027-01-06T10:00:00.000Z'],
      });
      expect(entry.changes.queued_emails.to).toMatchObject({
        event_at: '2027-01-06T10:00:00.000Z',
      });
    });

    it('leaves an email already sent as it was sent, and moves the one still queued', async () => {
      const campaign = await created(
        emailCampaign({
          email: { template: 'maintenance', before_event: { days: 2 }, local_time: '09:00' },
        }),
      );
      // 09:00 on 12-26 comes first in Tokyo (00:00 UTC), then in New York (14:00 UTC).
      t.clock.set('2026-12-26T01:00:00Z');
      expect((await sendDueEmails(t.deps)).sent).toBe(1);
      const sent = {
        email: 'tokyo@example.com',
        status: 'sent',
        scheduled_for: '2026-12-26T00:00:00.000Z',
        event_at: '2026-12-28T10:00:00.000Z',
      };

      expect(
        (await putEvent({ starts_at: '2027-01-18T10:00:00Z', ends_at: '2027-01-18T12:00:00Z' }))
          .status,
      ).toBe(200);
      expect(await deliveries(campaign.id)).toEqual([
        {
          email: 'ny@example.com',
          status: 'queued',
          scheduled_for: '2027-01-16T14:00:00.000Z',
          event_at: '2027-01-18T10:00:00.000Z',
        },
        sent,
      ]);
      const tokyo = await preview(campaign.id, 'acct-tokyo');
      expect(tokyo).toMatchObject({
        delivery_status: 'sent',
        scheduled_for: '2026-12-26T00:00:00.000Z',
      });
      expect(tokyo.html).toMatch(/Monday, December 28, 2026 at 7:00\sPM/);
      const [, moved] = await trail(campaign.id);
      expect(moved.changes.queued_emails).toEqual({
        from: expect.objectContaining({ count: 1, first_send_at: '2026-12-26T14:00:00.000Z' }),
        to: expect.objectContaining({ count: 1, first_send_at: '2027-01-16T14:00:00.000Z' }),
      });

      t.clock.set('2027-01-16T15:00:00Z');
      expect((await sendDueEmails(t.deps)).sent).toBe(1);
      expect((await deliveries(campaign.id))[1]).toEqual(sent);
    });

    // Two transactions at once need two connections: the embedded database runs one at a time.
    it.runIf(process.env.TEST_DATABASE_URL)(
      'moves the emails of a campaign linked to the event while the move waited on it',
      async () => {
        const planned = signal();
        const release = signal();
        let campaignId = '';
        // Another request creates a campaign on the event and plans it, still uncommitted.
        const creating = t.deps.db.transaction(async (tx) => {
          const input = CampaignCreateSchema.parse(emailCampaign());
          campaignId = (await createCampaign(t.deps, input, 'another request', undefined, tx)).id;
          planned.fire();
          await release.fired;
        });
        await planned.fired;
        const move = Promise.resolve(
          putEvent({ starts_at: '2027-01-18T10:00:00Z', ends_at: '2027-01-18T12:00:00Z' }),
        );
        await new Promise((resolve) => setTimeout(resolve, 300));
        release.fire();
        await creating;
        expect((await move).status).toBe(200);
        expect(new Set((await deliveries(campaignId)).map((d) => d.scheduled_for))).toEqual(
          new Set(['2027-01-16T10:00:00.000Z']),
        );
      },
    );

    it('refuses with 409 a move that leaves emails timed by the event no occurrence, and changes nothing', async () => {
      const campaign = await created(emailCampaign());
      const planned = await deliveries(campaign.id);
      const problem = await expectProblem(
        await putEvent({ starts_at: '2026-02-01T10:00:00Z', ends_at: '2026-02-01T12:00:00Z' }),
        409,
        'conflict',
      );
      expect(problem.detail).toContain(campaign.id);
      const event = await readJson(await t.request(`/v1/events/${eventId}`));
      expect(event.starts_at).toBe('2026-12-28T10:00:00.000Z');
      expect(await deliveries(campaign.id)).toEqual(planned);
      expect(await trail(campaign.id)).toHaveLength(1);
    });

    it('refuses with 409 to delete an event that scheduled, active or draft-timed campaigns need, naming them, and changes nothing', async () => {
      const scheduled = await created(emailCampaign({ starts_at: '2026-06-01T00:00:00Z' }));
      const active = await created({ ...banner, starts_at: undefined, publish: true });
      await patch(active.id, { event_id: eventId });
      const timedDraft = await created(emailCampaign({ publish: false }));
      const ended = await created({ ...banner, starts_at: undefined, publish: true });
      await patch(ended.id, { event_id: eventId });
      await patch(ended.id, { status: 'ended' });
      const needing = [scheduled, active, timedDraft];
      const before = await Promise.all([...needing, ended].map((c) => get(c.id)));
      const trails = await Promise.all([...needing, ended].map((c) => trail(c.id)));
      const planned = await deliveries(scheduled.id);
      expect(planned.map((d) => d.status)).toEqual(['queued', 'queued']);

      const problem = await expectProblem(await deleteEvent(), 409, 'conflict');
      for (const campaign of needing) expect(problem.detail).toContain(campaign.id);
      expect(problem.detail).not.toContain(ended.id);
      expect(problem.errors.map((e: { message: string }) => e.message)).toEqual([
        `linked to campaign ${scheduled.id} (scheduled)`,
        `linked to campaign ${active.id} (active)`,
        `linked to campaign ${timedDraft.id} (a draft whose email is timed by this event)`,
      ]);

      expect((await t.request(`/v1/events/${eventId}`)).status).toBe(200);
      expect(await Promise.all([...needing, ended].map((c) => get(c.id)))).toEqual(before);
      expect(await Promise.all([...needing, ended].map((c) => trail(c.id)))).toEqual(trails);
      expect(await deliveries(scheduled.id)).toEqual(planned);
    });

    it('deletes an event only ended, cancelled or draft campaigns link to, unlinking each with an audit entry and a new version', async () => {
      const ended = await created({ ...banner, starts_at: undefined, publish: true });
      await patch(ended.id, { event_id: eventId });
      await patch(ended.id, { status: 'ended' });
      const cancelled = await created(emailCampaign({ starts_at: '2026-06-01T00:00:00Z' }));
      await patch(cancelled.id, { status: 'cancelled' });
      const draft = await created({ ...banner, event_id: eventId });
      const linked = await Promise.all([ended, cancelled, draft].map((c) => get(c.id)));
      expect(linked.map((c) => [c.status, c.event_id])).toEqual([
        ['ended', eventId],
        ['cancelled', eventId],
        ['draft', eventId],
      ]);
      t.clock.advance(60_000);

      expect((await deleteEvent()).status).toBe(204);

      expect((await t.request(`/v1/events/${eventId}`)).status).toBe(404);
      for (const before of linked) {
        const after = await get(before.id);
        expect(after).toMatchObject({
          status: before.status,
          event_id: null,
          version: before.version + 1,
          updated_at: '2026-03-02T09:01:00.000Z',
        });
        expect((await trail(before.id)).at(-1)).toEqual({
          at: '2026-03-02T09:01:00.000Z',
          actor: opsActor(),
          action: 'event_deleted',
          changes: { event_id: { from: eventId, to: null } },
        });
      }
      expect(new Set((await deliveries(cancelled.id)).map((d) => d.status))).toEqual(
        new Set(['cancelled']),
      );
    });
  });
});
