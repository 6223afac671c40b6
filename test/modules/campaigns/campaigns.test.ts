import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { rowsOf } from '../../../src/db/json-param';
import { audienceSize } from '../../../src/modules/campaigns/audience-sql';
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

  it('refuses to change the holdout of an active campaign', async () => {
    const live = await readJson(await create({ ...banner, starts_at: undefined, publish: true }));
    await expectProblem(await patch(live.id, { holdout_percent: 20 }), 400, 'validation_failed');
    expect((await readJson(await t.request(`/v1/campaigns/${live.id}`))).holdout_percent).toBe(10);
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
});
