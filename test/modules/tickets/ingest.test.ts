import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { rowsOf } from '../../../src/db/json-param';
import { withTransactionStep } from '../../../src/db/transaction-step';
import { settleRecontactsJob } from '../../../src/modules/jobs/definitions/settle-recontacts.job';
import { settleRecontacts } from '../../../src/modules/recontacts/recontact-work';
import { prepareBatch, writeBatch } from '../../../src/modules/tickets/ingest.service';
import { TicketInputSchema } from '../../../src/modules/tickets/ticket-input';
import { expectProblem } from '../../helpers/problem';
import { readJson } from '../../helpers/read-json';
import { sharedDataHead } from '../../helpers/shared-data';
import { signal } from '../../helpers/signal';
import { startTestApp, type TestApp } from '../../helpers/test-app';
import { ticket } from '../../helpers/tickets';

describe('POST /v1/tickets', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    await settleRecontacts(t.deps.db);
    await t.deps.db.execute(
      sql`truncate tickets, reason_weeks, reason_days, weekday_contacts, reason_aliases, reasons, recontact_work cascade`,
    );
  });

  const post = (tickets: unknown[]) =>
    t.request('/v1/tickets', { method: 'POST', json: { tickets } });
  const ingest = async (tickets: unknown[]) => {
    const response = await post(tickets);
    expect(response.status).toBe(200);
    return readJson(response);
  };
  // Re-contact flags settle right after an ingest commits; a reader settles what is left.
  const stored = async () => {
    await settleRecontacts(t.deps.db);
    return rowsOf<{
      external_id: string;
      reason_slug: string;
      resolved_at: string | null;
      is_recontact: boolean;
    }>(
      await t.deps.db.execute(
        sql`select external_id, reason_slug, resolved_at, is_recontact from tickets order by external_id`,
      ),
    );
  };
  const rollupTotal = async () =>
    Number(
      rowsOf<{ n: string | number | null }>(
        await t.deps.db.execute(sql`select sum(contacts) as n from reason_weeks`),
      )[0]?.n ?? 0,
    );

  it('inserts a batch and says what happened to each ticket', async () => {
    const summary = await ingest([ticket(1), ticket(2, { reason: 'Password reset' })]);
    expect(summary).toEqual({
      received: 2,
      inserted: 2,
      updated: 0,
      duplicates: 0,
      rejected: 0,
      repeated: 0,
    });
    expect((await stored()).map((row) => row.reason_slug)).toEqual(['billing', 'password-reset']);
    expect(await rollupTotal()).toBe(2);
  });

  it('files a contact without a reason under "unspecified" rather than losing it', async () => {
    await ingest([ticket(1, { reason: undefined }), ticket(2, { reason: '' })]);
    expect((await stored()).map((row) => row.reason_slug)).toEqual(['unspecified', 'unspecified']);
  });

  it('counts a replay as duplicates and changes nothing', async () => {
    const batch = [ticket(1), ticket(2)];
    await ingest(batch);
    const before = await stored();
    const replay = await ingest(batch);
    expect(replay).toMatchObject({ inserted: 0, updated: 0, duplicates: 2 });
    expect(await stored()).toEqual(before);
    expect(await rollupTotal()).toBe(2);
  });

  it('updates a ticket whose content changed and moves it in the weekly rollup', async () => {
    await ingest([ticket(1)]);
    const summary = await ingest([
      ticket(1, { reason: 'Refunds', resolved_at: '2026-02-03T09:00:00Z', csat: 4 }),
    ]);
    expect(summary).toMatchObject({ inserted: 0, updated: 1, duplicates: 0 });
    const [row] = await stored();
    expect(row?.reason_slug).toBe('refunds');
    const weeks = rowsOf<{ reason_slug: string; contacts: number }>(
      await t.deps.db.execute(sql`select reason_slug, contacts from reason_weeks order by 1`),
    );
    expect(weeks).toEqual([
      { reason_slug: 'billing', contacts: 0 },
      { reason_slug: 'refunds', contacts: 1 },
    ]);
  });

  it('counts contacts by day of the week as the tickets fall, moves included', async () => {
    const byWeekday = async () =>
      rowsOf<{ week: string; weekday: number; contacts: number }>(
        await t.deps.db.execute(
          sql`select week::text, weekday, contacts from weekday_contacts
              where contacts <> 0 order by week, weekday`,
        ),
      );
    // 2026-02-02 is a Monday; 2026-02-08 a Sunday.
    await ingest([
      ticket(1, { created_at: '2026-02-02T10:00:00Z' }),
      ticket(2, { created_at: '2026-02-02T15:00:00Z' }),
      ticket(3, { created_at: '2026-02-08T10:00:00Z' }),
    ]);
    expect(await byWeekday()).toEqual([
      { week: '2026-02-02', weekday: 1, contacts: 2 },
      { week: '2026-02-02', weekday: 7, contacts: 1 },
    ]);
    await ingest([ticket(3, { created_at: '2026-02-10T10:00:00Z' })]);
    expect(await byWeekday()).toEqual([
      { week: '2026-02-02', weekday: 1, contacts: 2 },
      { week: '2026-02-09', weekday: 2, contacts: 1 },
    ]);
  });

  it('counts contacts per reason and day, moves between reasons and days included', async () => {
    const byDay = async () =>
      rowsOf<{ reason_slug: string; day: string; contacts: number }>(
        await t.deps.db.execute(
          sql`select reason_slug, day::text, contacts from reason_days
              where contacts <> 0 order by 1, 2`,
        ),
      );
    await ingest([
      ticket(1, { created_at: '2026-02-02T10:00:00Z' }),
      ticket(2, { created_at: '2026-02-02T15:00:00Z' }),
      ticket(3, { created_at: '2026-02-08T10:00:00Z' }),
    ]);
    expect(await byDay()).toEqual([
      { reason_slug: 'billing', day: '2026-02-02', contacts: 2 },
      { reason_slug: 'billing', day: '2026-02-08', contacts: 1 },
    ]);
    await ingest([
      ticket(2, { created_at: '2026-02-02T15:00:00Z', reason: 'Refunds' }),
      ticket(3, { created_at: '2026-02-10T10:00:00Z' }),
    ]);
    expect(await byDay()).toEqual([
      { reason_slug: 'billing', day: '2026-02-02', contacts: 1 },
      { reason_slug: 'billing', day: '2026-02-10', contacts: 1 },
      { reason_slug: 'refunds', day: '2026-02-02', contacts: 1 },
    ]);
  });

  it('takes copies of a ticket within one batch in order, as if sent one after another', async () => {
    const answered = '2026-02-02T12:00:00.000Z';
    const firstResponses = async () =>
      rowsOf<{ first_response_at: Date | string | null }>(
        await t.deps.db.execute(sql`select first_response_at from tickets order by external_id`),
      ).map((r) => r.first_response_at && new Date(r.first_response_at).toISOString());
    const versions = [
      ticket(1, { reason: 'First', first_response_at: answered }),
      ticket(1, { reason: 'Second' }),
      ticket(2),
      ticket(2),
    ];
    expect(await ingest(versions)).toEqual({
      received: 4,
      inserted: 2,
      updated: 1,
      duplicates: 1,
      rejected: 0,
      // Said apart, so that the two copies are not taken for tickets stored before.
      repeated: 2,
    });
    expect((await stored()).map((row) => row.reason_slug)).toEqual(['second', 'billing']);
    expect(await firstResponses()).toEqual([answered, null]);
    expect(await rollupTotal()).toBe(2);

    expect(await ingest(versions)).toMatchObject({
      inserted: 0,
      updated: 0,
      duplicates: 4,
      repeated: 2,
    });
    expect((await stored()).map((row) => row.reason_slug)).toEqual(['second', 'billing']);

    const later = [
      ticket(1, { reason: 'Third' }),
      ticket(1, { reason: 'Third' }),
      ticket(1, { reason: 'Fourth' }),
    ];
    expect(await ingest(later)).toMatchObject({
      inserted: 0,
      updated: 2,
      duplicates: 1,
      repeated: 2,
    });
    expect((await stored()).map((row) => row.reason_slug)).toEqual(['fourth', 'billing']);
    expect(await firstResponses()).toEqual([answered, null]);
    expect(await rollupTotal()).toBe(2);
  });

  it('refuses, with 409 naming it, the first tickets of a new source whose ids are stored under another', async () => {
    const batch = [ticket(1), ticket(2), ticket(3, { reason: 'Login' })];
    await ingest(batch);
    const again = batch.map((sent) => ({ ...sent, source: 'csv' }));
    const refused = await expectProblem(await post(again), 409, 'stored_under_other_source');
    expect(refused.detail).toContain('3 of the first 3 tickets in this batch (100%)');
    expect(refused.detail).toContain('"helpdesk"');
    expect(refused.errors).toEqual([
      expect.objectContaining({ location: 'body', path: 'store_anyway' }),
    ]);
    expect(await rollupTotal()).toBe(3);

    // Told they are other tickets, stored twice; a replay is a replay, flag or not.
    const anyway = (tickets: unknown[]) =>
      t.request('/v1/tickets', { method: 'POST', json: { tickets, store_anyway: true } });
    expect(await readJson(await anyway(again))).toMatchObject({ inserted: 3 });
    expect(await readJson(await anyway(again))).toMatchObject({ duplicates: 3 });
    expect(await ingest(batch)).toMatchObject({ duplicates: 3 });
    expect(await rollupTotal()).toBe(6);
    // Only a source new to the workspace is looked up: later batches of a source pass.
    expect(await ingest([ticket(4), { ...ticket(4), source: 'csv' }])).toMatchObject({
      inserted: 2,
    });
  });

  it("looks up a file's first batch whatever its source when told, so a known source is refused too", async () => {
    const helpdesk = [ticket(1), ticket(2), ticket(3)];
    await ingest(helpdesk);
    await ingest([ticket('c-1', { source: 'csv' })]);
    const firstOfFile = (tickets: unknown[], more: Record<string, unknown> = {}) =>
      t.request('/v1/tickets', { method: 'POST', json: { tickets, first_of_file: true, ...more } });
    // A file sent again under the source it is stored under is a replay.
    expect(await readJson(await firstOfFile(helpdesk))).toMatchObject({ duplicates: 3 });

    const exported = helpdesk.map((sent) => ({ ...sent, source: 'csv' }));
    const refused = await expectProblem(
      await firstOfFile(exported),
      409,
      'stored_under_other_source',
    );
    expect(refused.detail).toContain('3 of the first 3 tickets in this batch (100%)');
    expect(refused.detail).toContain('"helpdesk"');
    expect(await rollupTotal()).toBe(4);
    const anyway = await firstOfFile(exported, { store_anyway: true });
    expect(await readJson(anyway)).toMatchObject({ inserted: 3 });
    expect(await rollupTotal()).toBe(7);
  });

  it('stores one of two first batches of the same tickets sent at once under two new sources', async () => {
    const batch = [ticket(1), ticket(2), ticket(3)];
    const answers = await Promise.all(
      ['zendesk', 'csv'].map((source) => post(batch.map((sent) => ({ ...sent, source })))),
    );
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 409]);
    expect(await rollupTotal()).toBe(3);
  });

  // The embedded database runs one transaction at a time: there the batches simply take turns.
  describe.runIf(process.env.TEST_DATABASE_URL)(
    'on a server that runs transactions at once',
    () => {
      it('stores one of two first batches of the same tickets under two new sources whose transactions are open at once', async () => {
        const batch = [ticket(1), ticket(2), ticket(3)];
        const begun = [signal(), signal()];
        const answers = await Promise.all(
          ['zendesk', 'csv'].map((source, i) =>
            withTransactionStep(
              async () => {
                begun[i]?.fire();
                await Promise.all(begun.map((s) => s.fired));
              },
              async () => post(batch.map((sent) => ({ ...sent, source }))),
            ),
          ),
        );
        expect(answers.map((answer) => answer.status).sort()).toEqual([200, 409]);
        expect(await rollupTotal()).toBe(3);
      });
    },
  );

  it('rejects the whole batch when one ticket is bad, naming its index and field', async () => {
    const response = await post([
      ticket(1),
      ticket(2),
      ticket(3, { created_at: '2026-02-30' }),
      ticket(4, { csat: 9 }),
    ]);
    const body = await expectProblem(response, 400, 'validation_failed');
    expect(body.errors).toEqual([
      expect.objectContaining({ location: 'body', path: 'tickets.3.csat' }),
    ]);
    expect(await stored()).toEqual([]);

    const dates = await post([ticket(1), ticket(2, { created_at: '2026-02-30' })]);
    const dateBody = await expectProblem(dates, 400, 'validation_failed');
    expect(dateBody.errors).toEqual([
      expect.objectContaining({
        path: 'tickets.1.created_at',
        message: expect.stringContaining('ISO 8601'),
      }),
    ]);
    expect(await stored()).toEqual([]);
  });

  it.each([
    ['a date before 1990', { created_at: '1899-12-31' }, 'created_at'],
    ['a date in the future', { created_at: '2031-01-01T00:00:00Z' }, 'created_at'],
    ['resolution before creation', { resolved_at: '2026-02-01T00:00:00Z' }, 'resolved_at'],
    [
      'a first response before creation',
      { first_response_at: '2026-02-01T00:00:00Z' },
      'first_response_at',
    ],
    ['a first response that is not a time', { first_response_at: 'soon' }, 'first_response_at'],
    ['a reason with no letters or digits', { reason: '!!! ???' }, 'reason'],
    ['a number as external id', { external_id: 42 }, 'external_id'],
    ['an empty source', { source: '' }, 'source'],
    ['".." as account id', { account_id: '..' }, 'account_id'],
    ['"." as account id', { account_id: ' . ' }, 'account_id'],
  ])('rejects %s and writes nothing', async (_, overrides, field) => {
    const body = await expectProblem(await post([ticket(1, overrides)]), 400, 'validation_failed');
    expect(body.errors.map((e: { path: string }) => e.path)).toContain(`tickets.0.${field}`);
    expect(await stored()).toEqual([]);
  });

  it('keeps the earliest first response a ticket was sent with', async () => {
    const responses = async () =>
      rowsOf<{ first_response_at: Date | string | null }>(
        await t.deps.db.execute(sql`select first_response_at from tickets`),
      ).map((r) => (r.first_response_at ? new Date(r.first_response_at).toISOString() : null));
    const created = ticket(1).created_at as string;
    const answeredAt = (hours: number) =>
      new Date(Date.parse(created) + hours * 3_600_000).toISOString();
    await ingest([ticket(1, { first_response_at: answeredAt(5) })]);
    expect(await responses()).toEqual([answeredAt(5)]);
    // A later copy without it, or with a later one, leaves it; an earlier one replaces it.
    expect(await ingest([ticket(1)])).toMatchObject({ duplicates: 1, updated: 0 });
    expect(await ingest([ticket(1, { first_response_at: answeredAt(9) })])).toMatchObject({
      duplicates: 1,
    });
    expect(await responses()).toEqual([answeredAt(5)]);
    expect(await ingest([ticket(1, { first_response_at: answeredAt(2) })])).toMatchObject({
      updated: 1,
    });
    expect(await responses()).toEqual([answeredAt(2)]);
  });

  it('lists the first 100 bad fields of a batch and says how many more there are', async () => {
    const schemaErrors = Array.from({ length: 217 }, (_, i) => ticket(i, { created_at: 'soon' }));
    const refused = await expectProblem(await post(schemaErrors), 400, 'validation_failed');
    expect(refused.detail).toMatch(/^217 invalid fields/);
    expect(refused.errors).toHaveLength(100);
    expect(refused.errors[99]).toMatchObject({ path: 'tickets.99.created_at' });
    expect(refused.errors_omitted).toBe(117);

    const future = { created_at: '2031-01-01T00:00:00Z' };
    const laterErrors = [ticket('ok'), ...Array.from({ length: 150 }, (_, i) => ticket(i, future))];
    const late = await expectProblem(await post(laterErrors), 400, 'validation_failed');
    expect(late.errors).toHaveLength(100);
    expect(late.errors[0]).toMatchObject({ path: 'tickets.1.created_at' });
    expect(late.errors_omitted).toBe(50);

    const few = await expectProblem(await post([ticket(1, future)]), 400, 'validation_failed');
    expect(few.errors).toHaveLength(1);
    expect(few).not.toHaveProperty('errors_omitted');
    expect(await stored()).toEqual([]);
  });

  it('rejects a batch over 5,000 tickets', async () => {
    const tickets = Array.from({ length: 5_001 }, (_, i) => ticket(i));
    const body = await expectProblem(await post(tickets), 400, 'validation_failed');
    expect(body.errors[0].path).toBe('tickets');
    expect(await stored()).toEqual([]);
  });

  it('marks a contact from the same account and reason within 48 hours as a re-contact', async () => {
    await ingest([
      ticket('a1', { created_at: '2026-02-02T10:00:00Z' }),
      ticket('a2', { created_at: '2026-02-03T09:00:00Z' }), // 23 h later: re-contact
      ticket('a3', { created_at: '2026-02-06T09:00:00Z' }), // 72 h after a2: not
      ticket('b1', { created_at: '2026-02-02T11:00:00Z', reason: 'Shipping' }), // other reason
      ticket('c1', { created_at: '2026-02-02T12:00:00Z', account_id: 'acct-2' }), // other account
    ]);
    const flags = Object.fromEntries(
      (await stored()).map((row) => [row.external_id, row.is_recontact]),
    );
    expect(flags).toEqual({ a1: false, a2: true, a3: false, b1: false, c1: false });
  });

  it('queues re-contact flags with the ingest, so a process that stops before settling them loses nothing', async () => {
    // The ingest's own transaction, without the settle that follows it in the service.
    const batch = prepareBatch(
      t.deps,
      [
        ticket('q1', { created_at: '2026-02-02T10:00:00Z' }),
        ticket('q2', { created_at: '2026-02-03T09:00:00Z' }),
      ].map((input) => TicketInputSchema.parse(input)),
      (index, field) => `${index}.${field}`,
    );
    await t.deps.db.transaction((tx) => writeBatch(tx, t.deps, batch));
    const raw = rowsOf<{ is_recontact: boolean }>(
      await t.deps.db.execute(sql`select is_recontact from tickets order by external_id`),
    );
    expect(raw.map((row) => row.is_recontact)).toEqual([false, false]);
    const [queued] = rowsOf<{ n: number }>(
      await t.deps.db.execute(sql`select count(*)::int as n from recontact_work`),
    );
    expect(queued?.n).toBe(1);
    // The minute job settles what was left.
    await settleRecontactsJob.run(t.deps, t.clock.now());
    const settled = rowsOf<{ is_recontact: boolean }>(
      await t.deps.db.execute(sql`select is_recontact from tickets order by external_id`),
    );
    expect(settled.map((row) => row.is_recontact)).toEqual([false, true]);
    const [left] = rowsOf<{ n: number }>(
      await t.deps.db.execute(sql`select count(*)::int as n from recontact_work`),
    );
    expect(left?.n).toBe(0);
  });

  it('re-derives re-contacts when an earlier contact arrives late', async () => {
    await ingest([ticket('late-2', { created_at: '2026-02-03T10:00:00Z' })]);
    expect((await stored())[0]?.is_recontact).toBe(false);
    await ingest([ticket('late-1', { created_at: '2026-02-02T20:00:00Z' })]);
    const flags = Object.fromEntries(
      (await stored()).map((row) => [row.external_id, row.is_recontact]),
    );
    expect(flags).toEqual({ 'late-1': false, 'late-2': true });
  });

  it('re-derives re-contacts when an update moves a contact away', async () => {
    await ingest([
      ticket('m1', { created_at: '2026-02-02T10:00:00Z' }),
      ticket('m2', { created_at: '2026-02-03T09:00:00Z' }),
    ]);
    expect((await stored()).map((row) => row.is_recontact)).toEqual([false, true]);
    // m1 moves a week earlier: m2 is no longer within 48 hours of it.
    const summary = await ingest([ticket('m1', { created_at: '2026-01-26T10:00:00Z' })]);
    expect(summary).toMatchObject({ inserted: 0, updated: 1 });
    expect((await stored()).map((row) => row.is_recontact)).toEqual([false, false]);
  });

  it('orders same-day contacts from date-only exports so exactly one is a re-contact', async () => {
    await ingest([
      ticket('d1', { created_at: '2026-02-02' }),
      ticket('d2', { created_at: '2026-02-02' }),
    ]);
    expect((await stored()).filter((row) => row.is_recontact)).toHaveLength(1);
  });

  it('agrees with a full recount of re-contacts however late the tickets arrive', async () => {
    const [header, ...lines] = (await sharedDataHead(3_000)).trim().split('\n');
    // Newest chunk first, so most re-contacts are only discovered when older tickets arrive.
    for (let i = 2_000; i >= 0; i -= 1_000) {
      const csv = `${header}\n${lines.slice(i, i + 1_000).join('\n')}\n`;
      const response = await t.request('/v1/tickets/import?source=nyc-council', {
        method: 'POST',
        body: csv,
        headers: { 'content-type': 'text/csv' },
      });
      expect(response.status).toBe(200);
    }
    await settleRecontacts(t.deps.db);
    const [mismatches] = rowsOf<{ n: number }>(
      await t.deps.db.execute(sql`
        select count(*)::int as n from (
          select is_recontact, coalesce(created_at - lag(created_at) over (
            partition by account_id, reason_slug order by created_at, id
          ) <= interval '48 hours', false) as expected
          from tickets where account_id is not null
        ) flags
        where is_recontact <> expected`),
    );
    expect(mismatches?.n).toBe(0);
    expect((await stored()).filter((row) => row.is_recontact).length).toBeGreaterThan(100);
  });

  it('leaves no duplicates and no errors under concurrent overlapping batches', async () => {
    const batches = [0, 1, 2, 3].map((offset) =>
      Array.from({ length: 300 }, (_, i) =>
        ticket(offset * 150 + i, {
          account_id: `acct-${(offset * 150 + i) % 37}`,
          created_at: new Date(
            Date.UTC(2026, 0, 1) + ((offset * 150 + i) % 50) * 3_600_000,
          ).toISOString(),
        }),
      ),
    );
    const responses = await Promise.all(batches.map((batch) => post(batch)));
    const summaries = await Promise.all(responses.map((response) => readJson(response)));
    expect(
      responses.map((response) => response.status),
      t.logs
        .filter((l) => l.includes('unhandled'))
        .map((l) => JSON.parse(l).cause)
        .join(' | '),
    ).toEqual([200, 200, 200, 200]);
    const distinct = new Set(batches.flat().map((tk) => tk.external_id)).size;
    expect(summaries.reduce((sum, s) => sum + s.inserted, 0)).toBe(distinct);
    expect((await stored()).length).toBe(distinct);
    expect(await rollupTotal()).toBe(distinct);
  });
});
