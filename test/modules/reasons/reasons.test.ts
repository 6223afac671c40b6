import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { rowsOf } from '../../../src/db/json-param';
import { mendAliases } from '../../../src/modules/reasons/alias-mend';
import { REASON_SLUG_PATTERN } from '../../../src/modules/reasons/reason-key';
import { rebuildRollup } from '../../../src/modules/reasons/reason-weeks-rollup';
import { settleRecontacts } from '../../../src/modules/recontacts/recontact-work';
import { prepareBatch, writeBatch } from '../../../src/modules/tickets/ingest.service';
import { TicketInputSchema } from '../../../src/modules/tickets/ticket-input';
import { prepareWorkspace } from '../../../src/prepare-workspace';
import { createCampaign } from '../../helpers/campaigns';
import { expectProblem } from '../../helpers/problem';
import { readJson } from '../../helpers/read-json';
import { signal } from '../../helpers/signal';
import { startTestApp, type TestApp } from '../../helpers/test-app';
import { ticket } from '../../helpers/tickets';

describe('contact reasons and aliases', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
    t.clock.set('2026-02-20T12:00:00Z');
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    await t.deps.db.execute(
      sql`truncate tickets, reason_weeks, reason_days, reason_aliases, reasons cascade`,
    );
  });

  const ingest = async (tickets: unknown[]) => {
    const response = await t.request('/v1/tickets', { method: 'POST', json: { tickets } });
    expect(response.status).toBe(200);
  };
  const putReason = (slug: string, json: unknown) =>
    t.request(`/v1/reasons/${slug}`, { method: 'PUT', json });
  const reason = async (slug: string) => readJson(await t.request(`/v1/reasons/${slug}`));
  /** An alias is no reason of its own: not listed, and read through the reason it joins. */
  const expectAliasOf = async (alias: string, target: string) => {
    const problem = await expectProblem(await t.request(`/v1/reasons/${alias}`), 404, 'not_found');
    expect(problem.detail).toContain(`an alias of the reason ${target}`);
    const listed = await readJson(await t.request('/v1/reasons?limit=200'));
    expect(listed.data.map((r: { slug: string }) => r.slug)).not.toContain(alias);
    expect(listed.data.find((r: { slug: string }) => r.slug === target)?.aliases).toContain(alias);
  };
  const ticketReasons = async () =>
    rowsOf<{ external_id: string; reason_slug: string }>(
      await t.deps.db.execute(
        sql`select external_id, reason_slug from tickets order by external_id`,
      ),
    );

  it('creates reasons from raw values on first sight, normalised to one slug', async () => {
    await ingest([
      ticket(1, { reason: 'Heat/Hot Water' }),
      ticket(2, { reason: 'heat hot water' }),
      ticket(3, { reason: 'HEAT_HOT_WATER' }),
    ]);
    const page = await readJson(await t.request('/v1/reasons'));
    expect(page.data).toEqual([
      expect.objectContaining({
        slug: 'heat-hot-water',
        label: 'Heat/Hot Water',
        contacts_total: 3,
      }),
    ]);
  });

  it('gives every script a slug: compatibility forms folded, untransliterable words spelled out', async () => {
    await ingest([
      ticket(1, { reason: 'Finance' }),
      ticket(2, { reason: 'ﬁnance' }),
      ticket(3, { reason: '결제 문제' }),
      ticket(4, { reason: 'VIP 결제 문제' }),
      ticket(5, { reason: 'VIP' }),
      ticket(6, { reason: 'בעיה' }),
      ticket(7, { reason: '日本語の理由' }),
      // Cut at 100 characters where a word ends: no slug may end with its separator.
      ticket(8, { reason: `${'a'.repeat(99)} ${'결'.repeat(30)}` }),
      // Texts slugify could already spell keep the keys they always had.
      ticket(9, { reason: 'Объявление' }),
      ticket(10, { reason: 'Product™' }),
    ]);
    const page = await readJson(await t.request('/v1/reasons'));
    type Reason = { label: string; slug: string; contacts_total: number };
    const byLabel = new Map<string, Reason>(page.data.map((r: Reason) => [r.label, r]));
    expect(byLabel.get('Finance')).toMatchObject({ slug: 'finance', contacts_total: 2 });
    for (const label of ['결제 문제', 'VIP 결제 문제', 'VIP', 'בעיה', '日本語の理由']) {
      expect(byLabel.get(label), label).toMatchObject({ contacts_total: 1 });
    }
    expect(byLabel.get('Объявление')?.slug).toBe('obyavlenie');
    expect(byLabel.get('Product™')?.slug).toBe('product');
    expect(page.data).toHaveLength(9);
    for (const { slug } of page.data) expect(slug).toMatch(REASON_SLUG_PATTERN);
    expect(byLabel.get('VIP 결제 문제')?.slug).toMatch(/^vip-[a-z0-9]+-[a-z0-9]+$/);
  });

  it('maps aliases retroactively and at ingest, and keeps the weekly counts in step', async () => {
    await ingest([
      ticket(1, { reason: 'Double charge' }),
      ticket(2, { reason: 'Charged twice' }),
      ticket(3, { reason: 'Password reset' }),
    ]);
    const created = await putReason('billing-double-charge', {
      label: 'Billing: double charge',
      aliases: ['Double charge', 'charged twice'],
    });
    expect(created.status).toBe(201);
    expect(await readJson(created)).toMatchObject({
      slug: 'billing-double-charge',
      aliases: ['charged-twice', 'double-charge'],
      contacts_total: 2,
    });
    expect(await ticketReasons()).toEqual([
      { external_id: '1', reason_slug: 'billing-double-charge' },
      { external_id: '2', reason_slug: 'billing-double-charge' },
      { external_id: '3', reason_slug: 'password-reset' },
    ]);
    await expectAliasOf('double-charge', 'billing-double-charge');

    await ingest([ticket(4, { reason: 'DOUBLE CHARGE' })]);
    expect((await reason('billing-double-charge')).contacts_total).toBe(3);
  });

  it('moves tickets back when an alias is removed', async () => {
    await ingest([ticket(1, { reason: 'Refund please' }), ticket(2, { reason: 'Refunds' })]);
    await putReason('refunds', { label: 'Refunds', aliases: ['Refund please'] });
    expect((await reason('refunds')).contacts_total).toBe(2);
    const updated = await putReason('refunds', { label: 'Refunds and returns', aliases: [] });
    expect(updated.status).toBe(200);
    expect(await readJson(updated)).toMatchObject({ label: 'Refunds and returns', aliases: [] });
    expect(await ticketReasons()).toEqual([
      { external_id: '1', reason_slug: 'refund-please' },
      { external_id: '2', reason_slug: 'refunds' },
    ]);
    expect((await reason('refund-please')).contacts_total).toBe(1);
  });

  it('re-derives re-contacts when an alias merges two reasons', async () => {
    await ingest([
      ticket(1, { reason: 'Login', created_at: '2026-02-02T10:00:00Z' }),
      ticket(2, { reason: 'Sign-in', created_at: '2026-02-02T12:00:00Z' }),
    ]);
    await putReason('login', { label: 'Login', aliases: ['Sign-in'] });
    await settleRecontacts(t.deps.db);
    const flags = rowsOf<{ is_recontact: boolean }>(
      await t.deps.db.execute(sql`select is_recontact from tickets order by external_id`),
    ).map((row) => row.is_recontact);
    expect(flags).toEqual([false, true]);
  });

  it("keeps aliases one level deep: no reason holds another's contacts", async () => {
    await ingest([
      ticket(1, { reason: 'Alpha' }),
      ticket(2, { reason: 'Beta' }),
      ticket(3, { reason: 'Gamma' }),
    ]);
    expect((await putReason('alpha', { label: 'Alpha', aliases: ['Beta'] })).status).toBe(200);
    const before = await ticketReasons();

    // Beta is now an alias of alpha: giving it aliases would swap the two reasons' tickets.
    const aliasTakingAliases = await expectProblem(
      await putReason('beta', { label: 'Beta', aliases: ['alpha'] }),
      409,
      'conflict',
    );
    expect(aliasTakingAliases.detail).toContain('beta is an alias of alpha');
    // Alpha has aliases of its own: it cannot become one.
    const targetBecomingAlias = await expectProblem(
      await putReason('gamma', { label: 'Gamma', aliases: ['Alpha'] }),
      409,
      'conflict',
    );
    expect(targetBecomingAlias.errors).toEqual([
      expect.objectContaining({ path: 'aliases', message: 'alpha has aliases of its own' }),
    ]);
    expect(await ticketReasons()).toEqual(before);
    expect((await reason('alpha')).aliases).toEqual(['beta']);
    expect((await reason('gamma')).aliases).toEqual([]);
  });

  it('points events and campaigns at the reason an alias joins, before and after the alias', async () => {
    await ingest([ticket(1, { reason: 'DWI' }), ticket(2, { reason: 'Jury duty' })]);
    const event = (affected: string[]) =>
      t.request('/v1/events', {
        method: 'POST',
        json: {
          kind: 'other',
          title: 'Court week',
          starts_at: '2026-02-02T00:00:00Z',
          ends_at: '2026-02-03T00:00:00Z',
          affected_reasons: affected,
        },
      });
    const earlier = await readJson(await event(['DWI', 'Jury duty']));
    expect(earlier.affected_reasons).toEqual(['dwi', 'jury-duty']);
    const bannerTargeting = (targets: string[], starts: string, ends: string) =>
      createCampaign(t, {
        channels: ['banner'],
        title: 'Court week notice',
        target_reasons: targets,
        starts_at: starts,
        ends_at: ends,
        publish: false,
      });
    const campaign = await bannerTargeting(['DWI'], '2026-03-02T09:00:00Z', '2026-03-09T09:00:00Z');
    expect(campaign.target_reasons).toEqual(['dwi']);
    await ingest([ticket(3, { reason: 'Jury duty old' })]);
    const ended = await bannerTargeting(
      ['jury-duty-old'],
      '2025-12-01T09:00:00Z',
      '2025-12-08T09:00:00Z',
    );

    await putReason('jury-duty', { label: 'Jury duty', aliases: ['dwi', 'jury-duty-old'] });
    const later = await event(['DWI']);
    expect(later.status).toBe(201);
    expect((await readJson(later)).affected_reasons).toEqual(['jury-duty']);
    const stored = await readJson(await t.request(`/v1/events/${earlier.id}`));
    expect(stored.affected_reasons).toEqual(['jury-duty']);
    const retargeted = await readJson(await t.request(`/v1/campaigns/${campaign.id}`));
    expect(retargeted).toMatchObject({
      target_reasons: ['jury-duty'],
      version: campaign.version + 1,
    });
    const audit = await readJson(await t.request(`/v1/campaigns/${campaign.id}/audit`));
    expect(audit.data ?? audit).toContainEqual(
      expect.objectContaining({
        action: 'reason_aliased',
        changes: { target_reasons: { from: ['dwi'], to: ['jury-duty'] } },
      }),
    );
    // An ended campaign keeps the targets its measurements were taken with.
    expect(await readJson(await t.request(`/v1/campaigns/${ended.id}`))).toMatchObject({
      target_reasons: ['jury-duty-old'],
      version: ended.version,
    });

    // An alias is changed through the reason it joins; its name leads there, in the series too.
    const relabelled = await expectProblem(
      await putReason('dwi', { label: 'Drunk driving' }),
      409,
      'conflict',
    );
    expect(relabelled.detail).toContain('change jury-duty instead');
    expect((await readJson(await event(['dwi']))).affected_reasons).toEqual(['jury-duty']);
    const series = await readJson(
      await t.request('/v1/reasons/weekly?from=2026-01-05&to=2026-02-16&reason=DWI'),
    );
    expect(series.series).toEqual([expect.objectContaining({ reason: 'jury-duty', total: 3 })]);
  });

  it('mends, once, aliases and tickets an older forestall left in chains and loops', async () => {
    await ingest(
      ['Alpha', 'Beta', 'Gamma', 'Loop one', 'Loop two'].map((reason, i) => ticket(i, { reason })),
    );
    const event = await readJson(
      await t.request('/v1/events', {
        method: 'POST',
        json: {
          kind: 'other',
          title: 'Release',
          starts_at: '2026-03-02T00:00:00Z',
          ends_at: '2026-03-03T00:00:00Z',
          affected_reasons: ['Gamma'],
        },
      }),
    );
    const campaign = await createCampaign(t, {
      channels: ['banner'],
      title: 'Release notice',
      target_reasons: ['Gamma'],
      starts_at: '2026-03-02T09:00:00Z',
      ends_at: '2026-03-09T09:00:00Z',
      publish: false,
    });
    // What aliases set before they were kept one level deep left: a chain alpha → beta →
    // gamma, a loop whose reasons held each other's tickets, and names of aliases stored.
    await t.deps.db.execute(sql`
      insert into reason_aliases (alias, reason_slug)
      values ('alpha', 'beta'), ('beta', 'gamma'), ('loop-one', 'loop-two'), ('loop-two', 'loop-one')`);
    await t.deps.db.execute(sql`
      update tickets set reason_slug = case raw_reason_key
        when 'alpha' then 'beta' when 'beta' then 'gamma'
        when 'loop-one' then 'loop-two' when 'loop-two' then 'loop-one' else reason_slug end`);
    await rebuildRollup(t.deps.db, t.deps.config.workspaceTimeZone);
    await t.deps.db.execute(
      sql`update events set affected_reasons = '["beta","alpha"]' where id = ${event.id}`,
    );
    await t.deps.db.execute(
      sql`update campaigns set target_reasons = '["alpha"]' where id = ${campaign.id}`,
    );
    await t.deps.db.execute(
      sql`delete from workspace_settings where key = 'aliases_one_level_deep'`,
    );

    expect(await mendAliases(t.deps)).toEqual({
      aliasesChanged: 2,
      ticketsMoved: 2,
      reasonsRecounted: 4,
    });
    expect((await reason('gamma')).aliases).toEqual(['alpha', 'beta']);
    expect((await reason('loop-one')).aliases).toEqual(['loop-two']);
    await expectAliasOf('loop-two', 'loop-one');
    expect(await ticketReasons()).toEqual([
      { external_id: '0', reason_slug: 'gamma' },
      { external_id: '1', reason_slug: 'gamma' },
      { external_id: '2', reason_slug: 'gamma' },
      { external_id: '3', reason_slug: 'loop-one' },
      { external_id: '4', reason_slug: 'loop-one' },
    ]);
    expect((await reason('gamma')).contacts_total).toBe(3);
    expect((await reason('loop-one')).contacts_total).toBe(2);
    await expectAliasOf('beta', 'gamma');
    const stored = await readJson(await t.request(`/v1/events/${event.id}`));
    expect(stored.affected_reasons).toEqual(['gamma']);
    const audit = await readJson(await t.request(`/v1/campaigns/${campaign.id}/audit`));
    expect(audit.data ?? audit).toContainEqual(
      expect.objectContaining({
        action: 'reason_aliased',
        changes: { target_reasons: { from: ['alpha'], to: ['gamma'] } },
      }),
    );

    // Once: a later start finds it done and leaves everything as it is.
    await t.deps.db.execute(sql`update tickets set reason_slug = 'beta' where external_id = '1'`);
    expect(await mendAliases(t.deps)).toBeNull();
    expect((await ticketReasons())[1]).toEqual({ external_id: '1', reason_slug: 'beta' });
  });

  it('rejects a slug that is not a slug, and a missing label', async () => {
    const badSlug = await expectProblem(
      await putReason('Not A Slug', { label: 'x' }),
      400,
      'validation_failed',
    );
    expect(badSlug.errors[0]).toMatchObject({ location: 'path', path: 'slug' });
    const noLabel = await expectProblem(await putReason('ok', {}), 400, 'validation_failed');
    expect(noLabel.errors[0]).toMatchObject({ location: 'body', path: 'label' });
  });

  it('answers 404 for an unknown reason', async () => {
    await expectProblem(await t.request('/v1/reasons/nothing-like-this'), 404, 'not_found');
  });

  /** A ticket batch written by the ingest's own code, its transaction held open. */
  async function batchInFlight(tickets: unknown[]) {
    const held = signal();
    const stored = signal();
    const done = t.deps.db.transaction(async (tx) => {
      const inputs = tickets.map((row) => TicketInputSchema.parse(row));
      await writeBatch(
        tx,
        t.deps,
        prepareBatch(t.deps, inputs, (i, field) => `${i}.${field}`),
      );
      stored.fire();
      await held.fired;
    });
    await stored.fired;
    return { release: held.fire, done };
  }
  const settles = async (promise: Promise<unknown>, ms: number) =>
    Promise.race([
      promise.then(() => true),
      new Promise((resolve) => setTimeout(() => resolve(false), ms)),
    ]);

  it('waits for a ticket batch in flight, then moves the tickets it stored under a name made an alias', async () => {
    await ingest([ticket(1, { reason: 'Jury Duty' }), ticket(2, { reason: 'DWI' })]);
    const batch = await batchInFlight([ticket(3, { reason: 'DWI' })]);
    const change = Promise.resolve(
      putReason('jury-duty', { label: 'Jury Duty', aliases: ['DWI'] }),
    );
    // Were nothing to stop it, the change would be done well within this.
    expect(await settles(change, 500)).toBe(false);
    batch.release();
    await batch.done;
    expect((await change).status).toBe(200);
    expect(await ticketReasons()).toEqual([
      { external_id: '1', reason_slug: 'jury-duty' },
      { external_id: '2', reason_slug: 'jury-duty' },
      { external_id: '3', reason_slug: 'jury-duty' },
    ]);
    expect((await reason('jury-duty')).contacts_total).toBe(3);
    await expectAliasOf('dwi', 'jury-duty');
  });

  // The embedded database runs one transaction at a time: there a change simply waits its turn.
  describe.runIf(process.env.TEST_DATABASE_URL)(
    'on a server that runs transactions at once',
    () => {
      it('answers 503 to an alias change when writes in flight outlast its wait, and changes nothing', async () => {
        await ingest([ticket(1, { reason: 'Jury Duty' }), ticket(2, { reason: 'DWI' })]);
        const batch = await batchInFlight([ticket(3, { reason: 'DWI' })]);
        const refused = await putReason('jury-duty', { label: 'Jury Duty', aliases: ['DWI'] });
        batch.release();
        await batch.done;
        const problem = await expectProblem(refused, 503, 'unavailable');
        expect(problem.detail).toMatch(/being written/);
        expect(refused.headers.get('retry-after')).toBe('5');
        expect((await reason('jury-duty')).aliases).toEqual([]);
        expect((await reason('dwi')).contacts_total).toBe(2);
      }, 20_000);

      it('answers 503 to an alias change that cannot move its tickets within the request deadline, and changes nothing', async () => {
        // The same database, served with a 2 s deadline (closed with the suite's own app).
        const quick = await startTestApp({
          env: { REQUEST_TIMEOUT_MS: '2000' },
          database: t.database,
        });
        await ingest([ticket(1, { reason: 'Jury Duty' }), ticket(2, { reason: 'DWI' })]);
        // A ticket the change must move stays locked past the deadline.
        const held = signal();
        const locked = signal();
        const holder = t.deps.db.transaction(async (tx) => {
          await tx.execute(sql`select id from tickets where external_id = '2' for update`);
          locked.fire();
          await held.fired;
        });
        await locked.fired;
        const refused = await quick.request('/v1/reasons/jury-duty', {
          method: 'PUT',
          json: { label: 'Jury Duty renamed', aliases: ['DWI'] },
        });
        held.fire();
        await holder;
        const problem = await expectProblem(refused, 503, 'unavailable');
        expect(problem.detail).toMatch(/nothing changed/);
        // Nothing commits after the caller was told to retry.
        await new Promise((resolve) => setTimeout(resolve, 300));
        expect(await reason('jury-duty')).toMatchObject({ label: 'Jury Duty', aliases: [] });
        expect(await ticketReasons()).toEqual([
          { external_id: '1', reason_slug: 'jury-duty' },
          { external_id: '2', reason_slug: 'dwi' },
        ]);
      }, 20_000);

      it('defers the start-up mend while ticket writes outlast its wait, and mends at the next start', async () => {
        await ingest([ticket(1, { reason: 'Alpha' }), ticket(2, { reason: 'Beta' })]);
        await t.deps.db.execute(sql`
          insert into reason_aliases (alias, reason_slug) values ('alpha', 'beta'), ('beta', 'alpha')`);
        await t.deps.db.execute(
          sql`delete from workspace_settings where key = 'aliases_one_level_deep'`,
        );
        const batch = await batchInFlight([ticket(3, { reason: 'Gamma' })]);
        await prepareWorkspace(t.deps, t.database);
        batch.release();
        await batch.done;
        expect(t.logs.some((line) => line.includes('alias mend deferred to the next start'))).toBe(
          true,
        );
        const aliases = async () =>
          rowsOf(
            await t.deps.db.execute(
              sql`select alias, reason_slug from reason_aliases order by alias`,
            ),
          );
        expect(await aliases()).toEqual([
          { alias: 'alpha', reason_slug: 'beta' },
          { alias: 'beta', reason_slug: 'alpha' },
        ]);

        await prepareWorkspace(t.deps, t.database);
        expect((await reason('alpha')).aliases).toEqual(['beta']);
        expect(await aliases()).toEqual([{ alias: 'beta', reason_slug: 'alpha' }]);
        expect(await mendAliases(t.deps)).toBeNull();
      }, 20_000);
    },
  );
});

describe('GET /v1/reasons/weekly', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { WORKSPACE_TIME_ZONE: 'America/New_York' } });
    t.clock.set('2026-02-20T12:00:00Z');
    const tickets = [
      // Sunday evening in New York is Monday in UTC: it belongs to the week of Jan 26.
      ticket('ny-sunday', { reason: 'Shipping', created_at: '2026-02-02T03:00:00Z' }),
      ...Array.from({ length: 5 }, (_, i) =>
        ticket(`billing-${i}`, { reason: 'Billing', created_at: '2026-02-10T15:00:00Z' }),
      ),
      ticket('billing-old', { reason: 'Billing', created_at: '2026-01-05T15:00:00Z' }),
      ...Array.from({ length: 3 }, (_, i) =>
        ticket(`login-${i}`, { reason: 'Login', created_at: '2026-02-03T15:00:00Z' }),
      ),
    ];
    const response = await t.request('/v1/tickets', { method: 'POST', json: { tickets } });
    expect(response.status).toBe(200);
  });
  afterAll(() => t.close());

  const weekly = async (query: string) => {
    const response = await t.request(`/v1/reasons/weekly?${query}`);
    expect(response.status).toBe(200);
    return readJson(response);
  };

  it('zero-fills ISO weeks in the workspace time zone, top reasons first', async () => {
    const body = await weekly('from=2026-01-05&to=2026-02-15');
    expect(body.time_zone).toBe('America/New_York');
    expect(body.weeks).toEqual([
      '2026-01-05',
      '2026-01-12',
      '2026-01-19',
      '2026-01-26',
      '2026-02-02',
      '2026-02-09',
    ]);
    expect(body.series).toEqual([
      { reason: 'billing', label: 'Billing', total: 6, counts: [1, 0, 0, 0, 0, 5] },
      { reason: 'login', label: 'Login', total: 3, counts: [0, 0, 0, 0, 3, 0] },
      { reason: 'shipping', label: 'Shipping', total: 1, counts: [0, 0, 0, 1, 0, 0] },
    ]);
  });

  it('limits to the top N by volume within the range', async () => {
    const body = await weekly('from=2026-01-26&to=2026-02-08&top=1');
    expect(body.series.map((s: { reason: string }) => s.reason)).toEqual(['login']);
  });

  it('returns the named reasons, zero-filled even with no contacts', async () => {
    const body = await weekly('from=2026-01-12&to=2026-01-19&reason=shipping,billing');
    expect(body.series).toEqual([
      { reason: 'billing', label: 'Billing', total: 0, counts: [0, 0] },
      { reason: 'shipping', label: 'Shipping', total: 0, counts: [0, 0] },
    ]);
  });

  it('defaults to the 13 weeks that end at the latest week with tickets, and says so', async () => {
    t.clock.set('2031-06-20T12:00:00Z');
    const body = await weekly('');
    expect(body.anchored_to).toBe('latest_week_with_tickets');
    expect(body.data).toEqual({
      first_week: '2026-01-05',
      last_week: '2026-02-09',
      usual_through: '2026-02-09',
      after_usual: null,
    });
    expect(body.weeks).toHaveLength(13);
    expect(body.weeks.at(-1)).toBe('2026-02-09');
    expect(body.series.map((s: { total: number }) => s.total)).toEqual([6, 3, 1]);
    expect((await weekly('to=2026-02-15')).anchored_to).toBe('requested');
    // Starting after the data ends is a window up to now, not a 400 for a `to` never sent.
    const later = await weekly('from=2027-01-04');
    expect(later.weeks.at(-1)).toBe('2031-06-16');
    expect(later.anchored_to).toBe('current_week');
    t.clock.set('2026-02-20T12:00:00Z');
  });

  it('rejects bad ranges and unknown reasons', async () => {
    await expectProblem(
      await t.request('/v1/reasons/weekly?from=2026-03-01&to=2026-01-01'),
      400,
      'validation_failed',
    );
    await expectProblem(
      await t.request('/v1/reasons/weekly?from=2001-01-01&to=2026-01-01'),
      400,
      'validation_failed',
    );
    await expectProblem(
      await t.request('/v1/reasons/weekly?from=2026-13-01'),
      400,
      'validation_failed',
    );
    await expectProblem(await t.request('/v1/reasons/weekly?reason=nope'), 404, 'not_found');
  });
});
