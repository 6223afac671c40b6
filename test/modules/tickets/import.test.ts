import { gzipSync } from 'node:zlib';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ADVISORY_LOCKS } from '../../../src/db/advisory-locks';
import { rowsOf } from '../../../src/db/json-param';
import { withTransactionStep } from '../../../src/db/transaction-step';
import { expectProblem } from '../../helpers/problem';
import { readJson } from '../../helpers/read-json';
import { sharedDataHead } from '../../helpers/shared-data';
import { signal } from '../../helpers/signal';
import { startTestApp, type TestApp } from '../../helpers/test-app';

const HEADER = 'id,customer,type,opened,closed\n';
const MAP = 'external_id=id,account_id=customer,reason=type,created_at=opened,resolved_at=closed';

describe('POST /v1/tickets/import', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { IMPORT_MAX_BYTES: String(64 * 1024 * 1024) } });
    t.clock.set('2026-02-20T12:00:00Z');
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    await t.deps.db.execute(
      sql`truncate tickets, reason_weeks, reason_days, reason_aliases, reasons cascade`,
    );
  });

  const post = (body: string | Uint8Array, query = `source=crm&map=${MAP}`, headers = {}) =>
    t.request(`/v1/tickets/import?${query}`, {
      method: 'POST',
      body: body as string,
      headers: { 'content-type': 'text/csv', ...headers },
    });
  const ticketCount = async () =>
    Number(
      rowsOf<{ n: number }>(await t.deps.db.execute(sql`select count(*)::int as n from tickets`))[0]
        ?.n,
    );

  it('imports a mapped CSV and counts a second run as duplicates', async () => {
    const csv = `${HEADER}1,a,Billing,2026-02-02,2026-02-03\n2,b,"Login, SSO",2026-02-03,\n`;
    const first = await post(csv);
    expect(first.status).toBe(200);
    expect(await readJson(first)).toEqual({
      received: 2,
      inserted: 2,
      updated: 0,
      duplicates: 0,
      rejected: 0,
      repeated: 0,
      errors: [],
    });
    expect(await readJson(await post(csv))).toMatchObject({ inserted: 0, duplicates: 2 });
    expect(await ticketCount()).toBe(2);
  });

  it('takes copies of a ticket within one file in order, as if sent one after another', async () => {
    const csv = `${HEADER}1,a,Billing,2026-02-02,\n1,a,Refunds,2026-02-02,2026-02-03\n2,b,Login,2026-02-03,\n2,b,Login,2026-02-03,\n`;
    expect(await readJson(await post(csv))).toEqual({
      received: 4,
      inserted: 2,
      updated: 1,
      duplicates: 1,
      rejected: 0,
      repeated: 2,
      errors: [],
    });
    const rows = async () =>
      rowsOf<{ external_id: string; reason_slug: string }>(
        await t.deps.db.execute(sql`select external_id, reason_slug from tickets order by 1`),
      );
    expect(await rows()).toEqual([
      { external_id: '1', reason_slug: 'refunds' },
      { external_id: '2', reason_slug: 'login' },
    ]);
    expect(await readJson(await post(csv))).toMatchObject({
      inserted: 0,
      updated: 0,
      duplicates: 4,
      repeated: 2,
    });
    expect(await rows()).toHaveLength(2);
  });

  it('refuses, with 409 naming it, a file whose tickets are stored under another source, unless told', async () => {
    const csv = `${HEADER}1,a,Billing,2026-02-02,\n2,b,Billing,2026-02-03,\n3,c,Login,2026-02-03,\n`;
    const fed = await t.request('/v1/tickets', {
      method: 'POST',
      json: {
        tickets: [
          ['1', 'a', 'Billing', '2026-02-02'],
          ['2', 'b', 'Billing', '2026-02-03'],
          ['3', 'c', 'Login', '2026-02-03'],
        ].map(([id, account, reason, created]) => ({
          source: 'zendesk',
          external_id: id,
          account_id: account,
          reason,
          created_at: created,
        })),
      },
    });
    expect(fed.status).toBe(200);
    const billing = async () =>
      (
        await readJson(
          await t.request('/v1/reasons/weekly?from=2026-02-02&to=2026-02-02&reason=billing'),
        )
      ).series[0].total;
    expect(await billing()).toBe(2);

    const refused = await expectProblem(await post(csv), 409, 'stored_under_other_source');
    expect(refused.detail).toContain('3 of the first 3 tickets in this file (100%)');
    expect(refused.detail).toContain('"zendesk"');
    expect(refused.errors).toEqual([
      expect.objectContaining({ location: 'query', path: 'store_anyway' }),
    ]);
    expect(await ticketCount()).toBe(3);

    // Under the source they are stored under, they are the same tickets.
    expect(await readJson(await post(csv, `source=zendesk&map=${MAP}`))).toMatchObject({
      inserted: 0,
      duplicates: 3,
    });
    // Told they are other tickets, stored twice and counted twice; a retry changes nothing.
    const anyway = `source=crm&store_anyway=true&map=${MAP}`;
    expect(await readJson(await post(csv, anyway))).toMatchObject({ inserted: 3 });
    expect(await readJson(await post(csv, anyway))).toMatchObject({ inserted: 0, duplicates: 3 });
    expect(await ticketCount()).toBe(6);
    expect(await billing()).toBe(4);
  });

  it('imports a file that names the same ids under two sources of its own, none stored before', async () => {
    // Looked up again at its end, the file sees the tickets it wrote: under its own sources
    // they are not stored "already".
    const rows = ['1', '2', '3'].flatMap((id) =>
      ['helpdesk', 'chat'].map((source) => `${source},${id},a,Billing,2026-02-02,`),
    );
    const csv = `source,${HEADER}${rows.join('\n')}\n`;
    const response = await post(csv, `map=${MAP}`);
    expect(response.status).toBe(200);
    expect(await readJson(response)).toMatchObject({ inserted: 6 });
    expect(await ticketCount()).toBe(6);
  });

  it('imports a file that names its first ids again under another source of its own further on', async () => {
    // Its first 2,000 rows (the rows looked up) under one source, the same ids under another
    // after them: at its end, the file finds those it wrote itself, not tickets stored already.
    const rows = ['helpdesk', 'chat'].flatMap((source) =>
      Array.from({ length: 2_000 }, (_, i) => `${source},${i},a,Billing,2026-02-02,`),
    );
    const response = await post(`source,${HEADER}${rows.join('\n')}\n`, `map=${MAP}`);
    expect(response.status).toBe(200);
    expect(await readJson(response)).toMatchObject({ inserted: 4_000 });
    expect(await ticketCount()).toBe(4_000);
  });

  // The embedded database runs one transaction at a time: there the imports simply take turns.
  describe.runIf(process.env.TEST_DATABASE_URL)(
    'on a server that runs transactions at once',
    () => {
      const sameFile = Array.from(
        { length: 2_010 },
        (_, i) => `${i},a${i},Billing,2026-02-02,\n`,
      ).join('');
      // A file's rows (its first 2,000 are a batch, written at once), then its end when told.
      const importHeld = (query: string, csv: string, ends: Promise<void>) => {
        let sent = false;
        const body = new ReadableStream<Uint8Array>({
          async pull(controller) {
            if (!sent) {
              sent = true;
              controller.enqueue(new TextEncoder().encode(csv));
              return;
            }
            await ends;
            controller.close();
          },
        });
        return t.app.request(
          new Request(`http://localhost/v1/tickets/import?${query}`, {
            method: 'POST',
            headers: { authorization: `Bearer ${t.adminKey}`, 'content-type': 'text/csv' },
            body,
            duplex: 'half',
          } as RequestInit),
        );
      };
      const mapped = `map=${encodeURIComponent(MAP)}`;
      // A transaction has an id once it writes: each import has then looked up and written
      // its first rows, and neither can commit before its file ends.
      const writing = async () =>
        rowsOf<{ n: number }>(
          await t.deps.db.execute(sql`
            select count(*)::int as n from pg_stat_activity
            where datname = current_database() and backend_xid is not null`),
        )[0]?.n ?? 0;
      const until = async (done: () => Promise<boolean>) => {
        for (let waited = 0; !(await done()); waited += 10) {
          if (waited > 20_000) throw new Error('the imports never got that far');
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      };
      // Its reason stored already: a reason one import has written but not committed would
      // hold the other until the first commits.
      const seedReason = async () => {
        const seeded = await t.request('/v1/tickets', {
          method: 'POST',
          json: {
            tickets: [
              { source: 'helpdesk', external_id: 'x', reason: 'Billing', created_at: '2026-02-02' },
            ],
          },
        });
        expect(seeded.status).toBe(200);
        // Nothing left running (re-contact flags settling) writes while the test counts writers.
        await t.settle();
      };

      it('stores one of two imports of the same file under two new sources, both past their first rows before either commits', async () => {
        await seedReason();
        const ends = signal();
        const answers = ['zendesk', 'csv'].map((source) =>
          importHeld(`source=${source}&${mapped}`, `${HEADER}${sameFile}`, ends.fired),
        );
        await until(async () => (await writing()) >= 2);
        ends.fire();
        const statuses = (await Promise.all(answers)).map((answer) => answer.status);
        expect(statuses.sort()).toEqual([200, 409]);
        expect(await ticketCount()).toBe(1 + 2_010);
      });

      it('refuses a file of two sources whose first tickets another import stored meanwhile under one of them', async () => {
        await seedReason();
        // The file: ids 0-1009 under "a", 1010-2019 under "b". The other import stores ids
        // 0-1009 under "b" (and others of its own, so its first 2,000 rows are written before
        // its end), in another week: no rollup row in common, so neither waits for the other.
        const mixed = Array.from({ length: 2_020 }, (_, i) =>
          i < 1_010 ? `a,${i},c,Billing,2026-02-02,` : `b,${i},c,Billing,2026-02-02,`,
        );
        const other = Array.from(
          { length: 2_020 },
          (_, i) => `b,${i < 1_010 ? i : `o${i}`},c,Billing,2026-01-12,`,
        );
        const [mixedEnds, otherEnds] = [signal(), signal()];
        const mixedAnswer = importHeld(
          mapped,
          `source,${HEADER}${mixed.join('\n')}\n`,
          mixedEnds.fired,
        );
        const otherAnswer = importHeld(
          mapped,
          `source,${HEADER}${other.join('\n')}\n`,
          otherEnds.fired,
        );
        await until(async () => (await writing()) >= 2);
        otherEnds.fire();
        expect((await otherAnswer).status).toBe(200);
        mixedEnds.fire();
        const refused = await expectProblem(await mixedAnswer, 409, 'stored_under_other_source');
        expect(refused.detail).toContain('"b"');
        expect(await ticketCount()).toBe(1 + 2_020);
      });

      // The import writes its rows, then waits for the turn at its end; a first batch of a file
      // takes the turn, then waits for a row the import wrote: Postgres fails one of the two.
      const lockWaits = async (locktype: 'advisory' | 'transactionid') =>
        (rowsOf<{ n: number }>(
          await t.deps.db.execute(sql`
            select count(*)::int as n from pg_locks
            where locktype = ${locktype} and not granted
              and pid in (select pid from pg_stat_activity where datname = current_database())`),
        )[0]?.n ?? 0) > 0;
      const firstOfFileHolding = (afterTurn: () => Promise<void>, attempts: { n: number }) =>
        withTransactionStep(
          async (tx) => {
            attempts.n++;
            await tx.execute(
              sql`select pg_advisory_xact_lock(${ADVISORY_LOCKS.otherSourceLookUps})`,
            );
            await afterTurn();
          },
          async () =>
            t.request('/v1/tickets', {
              method: 'POST',
              json: {
                first_of_file: true,
                tickets: [
                  {
                    source: 'zendesk',
                    external_id: '0',
                    account_id: 'a0',
                    reason: 'Billing',
                    created_at: '2026-02-02',
                  },
                ],
              },
            }),
        );

      it('answers 503 to retry, having stored nothing, an import ended by a deadlock with a batch', async () => {
        await seedReason();
        const ends = signal();
        const imported = importHeld(`source=zendesk&${mapped}`, `${HEADER}${sameFile}`, ends.fired);
        await until(async () => (await writing()) >= 1);
        const importWaits = signal();
        const attempts = { n: 0 };
        // The batch holds the turn until the import waits for it, then waits for the import.
        const batch = firstOfFileHolding(() => importWaits.fired, attempts);
        await until(async () => attempts.n > 0);
        ends.fire();
        await until(() => lockWaits('advisory'));
        importWaits.fire();

        const problem = await expectProblem(await imported, 503, 'unavailable');
        expect(problem.detail).toContain('retry');
        expect((await batch).status).toBe(200);
        expect(await ticketCount()).toBe(1 + 1);
        const again = await post(`${HEADER}${sameFile}`, `source=zendesk&${mapped}`);
        expect(await readJson(again)).toMatchObject({ inserted: 2_009, duplicates: 1 });
      });

      it('runs again, unseen, a batch ended by a deadlock with an import', async () => {
        await seedReason();
        const ends = signal();
        const imported = importHeld(`source=zendesk&${mapped}`, `${HEADER}${sameFile}`, ends.fired);
        await until(async () => (await writing()) >= 1);
        const attempts = { n: 0 };
        // The batch takes the turn and waits for the import's row; the import then waits for
        // the turn.
        const batch = firstOfFileHolding(async () => {}, attempts);
        await until(() => lockWaits('transactionid'));
        ends.fire();

        expect((await imported).status).toBe(200);
        const answer = await batch;
        expect(answer.status).toBe(200);
        expect(await readJson(answer)).toMatchObject({ inserted: 0, duplicates: 1 });
        expect(attempts.n).toBe(2);
        expect(await ticketCount()).toBe(1 + 2_010);
      });
    },
  );

  it('imports the shared data set, gzip-compressed, with column mapping only', async () => {
    const csv = await sharedDataHead(3_000);
    const response = await post(gzipSync(csv), 'source=nyc-council', {
      'content-type': 'application/gzip',
    });
    const body = await readJson(response);
    expect(response.status).toBe(200);
    expect(body.received).toBe(3_000);
    expect(body.inserted + body.duplicates).toBe(3_000);
    expect(body.inserted).toBe(await ticketCount());
    const reasons = await readJson(await t.request('/v1/reasons?limit=200'));
    expect(reasons.data.map((r: { slug: string }) => r.slug)).toContain('housing-and-buildings');
  });

  it('reads the charset a CSV names, and refuses one that is not UTF-8 without saying so', async () => {
    const latin1 = Buffer.from(`${HEADER}1,a,Caf\u00e9 cr\u00e8me,2026-02-02,\n`, 'latin1');
    const unnamed = await expectProblem(await post(latin1), 400, 'validation_failed');
    expect(unnamed.detail).toContain('not valid utf-8');
    expect(unnamed.errors).toEqual([
      { location: 'header', path: 'Content-Type', message: 'The CSV is not valid utf-8' },
    ]);
    expect(await ticketCount()).toBe(0);
    await expectProblem(
      await post(latin1, undefined, { 'content-type': 'text/csv; charset=x-klingon' }),
      415,
      'unsupported_media_type',
    );
    const named = await post(latin1, undefined, { 'content-type': 'text/csv; charset=ISO-8859-1' });
    expect(named.status).toBe(200);
    const reasons = await readJson(await t.request('/v1/reasons'));
    expect(reasons.data).toEqual([expect.objectContaining({ label: 'Caf\u00e9 cr\u00e8me' })]);
  });

  it('refuses a header without the columns it needs, even with no row under it', async () => {
    for (const csv of ['id,customer\n', 'id,customer\n1,a\n']) {
      const problem = await expectProblem(await post(csv), 400, 'malformed_body');
      expect(problem.detail, csv).toContain(
        'The header has no column for reason (looked for "type")',
      );
    }
  });

  it('refuses a header that names a column it reads twice, rather than taking one silently', async () => {
    const csv = 'id,customer,type,opened,closed,type\n1,a,Billing,2026-02-02,,Refund\n';
    const problem = await expectProblem(await post(csv), 400, 'malformed_body');
    expect(problem.detail).toContain('"type" twice');
    expect(await ticketCount()).toBe(0);
    // A column no field reads may repeat.
    const notes = 'id,customer,type,opened,closed,note,note\n1,a,Billing,2026-02-02,,x,y\n';
    expect((await post(notes)).status).toBe(200);
  });

  it('says a header of one column holding semicolons or tabs may be another delimiter', async () => {
    for (const delimiter of [';', '\t']) {
      const csv = `${HEADER.trim().replaceAll(',', delimiter)}\n1${delimiter}a${delimiter}Billing${delimiter}2026-02-02${delimiter}\n`;
      const problem = await expectProblem(await post(csv), 400, 'malformed_body');
      expect(problem.detail, delimiter).toContain('separated by commas');
    }
    expect(await ticketCount()).toBe(0);
  });

  it('refuses a file of no rows, as the console does, rather than answering 200 with nothing', async () => {
    for (const [csv, headers] of [
      ['', {}],
      [HEADER, {}],
      [gzipSync(HEADER), { 'content-type': 'application/gzip' }],
    ] as const) {
      const problem = await expectProblem(
        await post(csv, undefined, headers),
        400,
        'validation_failed',
      );
      expect(problem.detail).toContain('no rows');
    }
  });

  it('rejects a malformed CSV with its line and writes nothing', async () => {
    const csv = `${HEADER}1,a,Billing,2026-02-02,\n2,b,"unclosed,2026-02-03,\n3,c,Login,2026-02-03,\n`;
    const body = await expectProblem(await post(csv), 400, 'malformed_body');
    expect(body.detail).toMatch(/line/);
    expect(await ticketCount()).toBe(0);
  });

  it('rejects a row with the wrong number of columns', async () => {
    const csv = `${HEADER}1,a,Billing,2026-02-02,\n2,b,Login\n`;
    await expectProblem(await post(csv), 400, 'malformed_body');
    expect(await ticketCount()).toBe(0);
  });

  it('rejects a 10 MB line without reading it into a ticket', async () => {
    const csv = `${HEADER}1,a,Billing,2026-02-02,\n2,b,${'x'.repeat(10 * 1024 * 1024)},2026-02-03,\n`;
    await expectProblem(await post(csv), 400, 'malformed_body');
    expect(await ticketCount()).toBe(0);
  });

  it('names the line and column of a bad row and writes nothing', async () => {
    const csv = `${HEADER}1,a,Billing,2026-02-02,\n2,b,Login,2026-02-31,\n`;
    const body = await expectProblem(await post(csv), 400, 'validation_failed');
    expect(body.errors).toEqual([expect.objectContaining({ path: 'line 3.opened' })]);
    expect(await ticketCount()).toBe(0);
  });

  it('refuses "." and ".." as account ids, naming the line and column', async () => {
    const csv = `${HEADER}1,a,Billing,2026-02-02,\n2,..,Login,2026-02-03,\n3,.,Login,2026-02-03,\n`;
    const body = await expectProblem(await post(csv), 400, 'validation_failed');
    const message = 'must not be "." or "..", which a URL cannot hold as a path segment';
    expect(body.errors).toEqual([{ location: 'body', path: 'line 3.customer', message }]);
    expect(await ticketCount()).toBe(0);
    const skipped = await readJson(await post(csv, `source=crm&on_error=skip&map=${MAP}`));
    expect(skipped).toMatchObject({ received: 3, inserted: 1, rejected: 2 });
    expect(skipped.errors).toEqual([
      { location: 'body', path: 'line 3.customer', message },
      { location: 'body', path: 'line 4.customer', message },
    ]);
  });

  it('says a required cell is empty, in the column it was read from', async () => {
    const csv = `${HEADER}1,a,Billing,,\n`;
    const body = await expectProblem(await post(csv), 400, 'validation_failed');
    expect(body.errors).toEqual([
      { location: 'body', path: 'line 2.opened', message: 'is empty; every row needs one' },
    ]);
  });

  it('skips and counts bad rows when asked to', async () => {
    const csv = `${HEADER}1,a,Billing,2026-02-02,\n2,b,Login,2026-02-31,\n3,c,???,2026-02-03,\n4,d,Login,2026-02-04,\n`;
    const response = await post(csv, `source=crm&on_error=skip&map=${MAP}`);
    const body = await readJson(response);
    expect(body).toMatchObject({ received: 4, inserted: 2, rejected: 2 });
    expect(body.errors.map((e: { path: string }) => e.path)).toEqual([
      'line 3.opened',
      'line 4.type',
    ]);
    expect(await ticketCount()).toBe(2);
  });

  it('says which mapped column the header lacks', async () => {
    const body = await expectProblem(
      await post(`${HEADER}1,a,Billing,2026-02-02,\n`, 'source=crm&map=created_at=opendate'),
      400,
      'malformed_body',
    );
    expect(body.detail).toContain('opendate');
  });

  it('rejects an unknown field in the mapping', async () => {
    const body = await expectProblem(
      await post(`${HEADER}`, 'map=colour=type'),
      400,
      'validation_failed',
    );
    expect(body.errors[0]).toMatchObject({ location: 'query', path: 'map' });
  });

  it('rejects a body that claims gzip but is not', async () => {
    await expectProblem(
      await post(`${HEADER}1,a,Billing,2026-02-02,\n`, `source=crm&map=${MAP}`, {
        'content-encoding': 'gzip',
      }),
      400,
      'malformed_body',
    );
    expect(await ticketCount()).toBe(0);
  });
});

describe('import size limit', () => {
  it('answers 413 past IMPORT_MAX_BYTES and writes nothing', async () => {
    const t = await startTestApp({ env: { IMPORT_MAX_BYTES: '2048' } });
    const rows = Array.from({ length: 200 }, (_, i) => `${i},acct,Billing,2026-02-02,`).join('\n');
    const response = await t.request(
      '/v1/tickets/import?source=crm&map=external_id=id,account_id=customer,reason=type,created_at=opened,resolved_at=closed',
      {
        method: 'POST',
        body: `${HEADER}${rows}\n`,
        headers: { 'content-type': 'text/csv' },
      },
    );
    await expectProblem(response, 413, 'payload_too_large');
    const count = rowsOf<{ n: number }>(
      await t.deps.db.execute(sql`select count(*)::int as n from tickets`),
    );
    expect(count[0]?.n).toBe(0);
    await t.close();
  });

  it('counts a gzip body against IMPORT_MAX_BYTES as it expands, stops reading, and stores nothing', async () => {
    const limit = 128 * 1024;
    const t = await startTestApp({ env: { IMPORT_MAX_BYTES: String(limit) } });
    const path = `/v1/tickets/import?source=crm&map=${encodeURIComponent(MAP)}`;
    const csvOf = (rows: number) =>
      `${HEADER}${Array.from({ length: rows }, (_, i) => `${i},acct,Billing,2026-02-02,\n`).join('')}`;
    const count = async (table: 'tickets' | 'reasons') =>
      rowsOf<{ n: number }>(
        await t.deps.db.execute(sql`select count(*)::int as n from ${sql.identifier(table)}`),
      )[0]?.n;
    // Sent in small pieces, counted as the server pulls them.
    let pulled = 0;
    const send = (bytes: Uint8Array, headers: Record<string, string>) => {
      const pieces = Array.from({ length: Math.ceil(bytes.length / 1024) }, (_, i) =>
        bytes.subarray(i * 1024, (i + 1) * 1024),
      );
      pulled = 0;
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          const piece = pieces[pulled++];
          if (piece) controller.enqueue(piece);
          else controller.close();
        },
      });
      const request = new Request(`http://localhost${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${t.adminKey}`, ...headers },
        body,
        duplex: 'half',
      } as RequestInit);
      return { response: t.app.request(request), pieces: pieces.length };
    };

    // Under the limit compressed, nine times over it expanded: some 4,000 rows (two import
    // batches) are read and written before the limit is reached.
    const csv = csvOf(40_000);
    const bomb = gzipSync(csv);
    expect(bomb.length).toBeLessThan(limit);
    expect(Buffer.byteLength(csv)).toBeGreaterThan(limit * 9);
    const gzipHeaders: Record<string, string>[] = [
      { 'content-type': 'application/gzip' },
      { 'content-type': 'text/csv', 'content-encoding': 'gzip' },
    ];
    for (const headers of gzipHeaders) {
      const { response, pieces } = send(bomb, headers);
      const problem = await expectProblem(await response, 413, 'payload_too_large');
      expect(problem.detail).toBe(`The CSV, once decompressed, exceeds ${limit} bytes.`);
      // Reading stopped at the limit: the rest of the body was never pulled.
      expect(pulled, JSON.stringify(headers)).toBeLessThan(pieces / 2);
      expect(await count('tickets')).toBe(0);
      expect(await count('reasons')).toBe(0);
    }
    // The same rows uncompressed are refused the same way.
    await expectProblem(
      await t.request(path, {
        method: 'POST',
        body: csv,
        headers: { 'content-type': 'text/csv' },
      }),
      413,
      'payload_too_large',
    );
    expect(await count('tickets')).toBe(0);

    const small = send(gzipSync(csvOf(100)), { 'content-type': 'application/gzip' });
    expect(await readJson(await small.response)).toMatchObject({ inserted: 100 });
    await t.close();
  });
});
