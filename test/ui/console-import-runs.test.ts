import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rowsOf } from '../../src/db/json-param';
import { resumeImportsJob } from '../../src/modules/jobs/definitions/resume-imports.job';
import {
  checkCsvUpload,
  runImport,
  startImportRun,
} from '../../src/modules/tickets/import-runs.service';
import {
  KEPT_BYTES_MAX,
  KeptBatches,
  keptBatchBytes,
} from '../../src/modules/tickets/kept-batches';
import { consoleClient } from '../helpers/console-client';
import { sharedDataHead } from '../helpers/shared-data';
import { startTestApp, type TestApp } from '../helpers/test-app';

describe('a console import as it runs, is sent again, and is taken up after a crash', () => {
  let t: TestApp;
  let browser: ReturnType<typeof consoleClient>;
  beforeAll(async () => {
    t = await startTestApp();
    t.clock.set('2026-03-02T09:00:00Z');
    browser = consoleClient(t);
    await browser.signIn(await t.keyFor('ops'));
  });
  afterAll(() => t.close());

  const count = async (table: 'tickets' | 'ticket_imports', source?: string) =>
    rowsOf<{ n: number }>(
      await t.deps.db.execute(
        table === 'tickets'
          ? sql`select count(*)::int as n from tickets where source = ${source ?? ''}`
          : sql`select count(*)::int as n from ticket_imports`,
      ),
    )[0]?.n ?? 0;
  /** What a run keeps: its state, its counts, and whether it still holds its file. */
  const storedRun = async (id: string) =>
    rowsOf<{ status: string; received: number; upload: boolean }>(
      await t.deps.db.execute(
        sql`select status, received, upload is not null as upload from ticket_imports
          where id = ${id}`,
      ),
    )[0];
  /** The import form's fields as the page gives them, with the file. */
  const filledForm = async (source: string, csv: string) => {
    const page = await (await browser.get('/console/import')).text();
    const form = new FormData();
    form.append('_csrf', browser.csrfOf(page));
    form.append('import_token', /name="import_token" value="([^"]+)"/.exec(page)?.[1] ?? '');
    for (const [key, value] of Object.entries({ source, map: '', on_error: 'skip' })) {
      form.append(key, value);
    }
    form.append('file', new File([csv], `${source}.csv`, { type: 'text/csv' }));
    return form;
  };
  const send = (form: FormData) =>
    t.app.request('/console/import', {
      method: 'POST',
      headers: { cookie: [...browser.cookies].map(([k, v]) => `${k}=${v}`).join('; ') },
      body: form,
    });
  const runPathOf = (response: Response) =>
    (response.headers.get('location') ?? '').split('?')[0] ?? '';
  /** A run recorded as the form records it, with no instance working on it yet. */
  const recordedRun = async (source: string, csv: string) => {
    const upload = new TextEncoder().encode(csv);
    const options = { map: {}, source, onError: 'skip' as const };
    const { rows, batches } = await checkCsvUpload(t.deps, upload, options);
    // Its run will read the stored file, as one taken up after a crash does.
    batches?.drop();
    return startImportRun(
      { ...t.deps, background: () => {} },
      {
        formToken: crypto.randomUUID(),
        apiKeyId: null,
        fileName: `${source}.csv`,
        upload,
        options,
        rowsTotal: rows,
        checkedAt: t.clock.now(),
      },
    );
  };

  it('imports once when the same form is sent twice, and leads both sends to that import', async () => {
    const csv = await sharedDataHead(500);
    const form = await filledForm('twice', csv);
    const runsBefore = await count('ticket_imports');
    const [first, second] = await Promise.all([send(form), send(form)]);
    await t.settle();
    const third = await send(form);
    for (const response of [first, second, third]) expect(response.status).toBe(303);
    expect(new Set([first, second, third].map(runPathOf)).size).toBe(1);
    expect(decodeURIComponent(third.headers.get('location') ?? '')).toContain(
      'This upload was sent before; here is the import it started.',
    );
    expect(await count('ticket_imports')).toBe(runsBefore + 1);
    expect(await count('tickets', 'twice')).toBe(500);
    const page = await (await browser.get(runPathOf(third))).text();
    expect(page).toContain('Imported 500 rows: 500 new tickets, 0 already known.');
  });

  it('shows a running import’s progress on its page and on the import page, and its result once done', async () => {
    const run = await recordedRun('reload', await sharedDataHead(300));
    const running = await (await browser.get(`/console/import/runs/${run.id}`)).text();
    expect(running).toContain('<h1>Importing reload.csv</h1>');
    expect(running).toContain('0 of 300 rows written (0%)');
    expect(running).toContain(
      `<meta http-equiv="refresh" content="2; url=/console/import/runs/${run.id}"/>`,
    );
    const listed = await (await browser.get('/console/import')).text();
    expect(listed).toContain(`<a href="/console/import/runs/${run.id}">reload.csv</a>`);
    expect(listed).toContain('running: 0 of 300 rows');
    // No instance has it (its own stopped before it began): the minute job takes it up.
    await resumeImportsJob.run(t.deps, t.clock.now());
    const done = await (await browser.get(`/console/import/runs/${run.id}`)).text();
    expect(done).toContain('Imported 300 rows: 300 new tickets, 0 already known.');
    expect(done).not.toContain('http-equiv="refresh"');
    expect(await (await browser.get('/console/import')).text()).toContain('done: 300 rows');
    // Done, the run keeps its counts but no longer its file.
    expect(await storedRun(run.id)).toEqual({ status: 'succeeded', received: 300, upload: false });
  });

  it('says a run that wrote nothing lately waits, and until when', async () => {
    t.clock.set('2026-03-02T10:00:20Z');
    const run = await recordedRun('waits', await sharedDataHead(300));
    // An instance took it up at 10:00:20 and died before its first batch: its claim holds
    // until 10:02:20, and resume-imports (each minute) takes it up at 10:03.
    await t.deps.db.execute(sql`
      update ticket_imports set claim = ${crypto.randomUUID()}, attempts = 1,
        lease_until = '2026-03-02T10:02:20Z', progress_at = '2026-03-02T10:00:20Z'
      where id = ${run.id}`);
    const pageAt = async (at: string) => {
      t.clock.set(at);
      const markup = await (await browser.get(`/console/import/runs/${run.id}`)).text();
      return markup.replace(/<[^>]+>/g, '');
    };
    const fresh = await pageAt('2026-03-02T10:00:30Z');
    expect(fresh).toContain('The import goes on if you leave this page');
    expect(fresh).not.toContain('No rows written');
    expect(await pageAt('2026-03-02T10:01:00Z')).toContain(
      'No rows written since 2026-03-02 10:00 UTC. If its server stopped, it is taken up ' +
        'again by about 2026-03-02 10:03 UTC, after the last rows written, once its claim lapses.',
    );
    const lapsed = await pageAt('2026-03-02T10:02:30Z');
    expect(lapsed).toContain(
      'No rows written since 2026-03-02 10:00 UTC: its server stopped. It is taken up again ' +
        'by about 2026-03-02 10:03 UTC, after the last rows written.',
    );
    expect(lapsed).not.toContain('The import goes on');
    await resumeImportsJob.run(t.deps, new Date('2026-03-02T10:03:00Z'));
    expect(await pageAt('2026-03-02T10:03:01Z')).toContain(
      'Imported 300 rows: 300 new tickets, 0 already known.',
    );
  });

  it('gives up on a run that failed three times, dropping its file and keeping what it counted', async () => {
    const run = await recordedRun('gives-up', await sharedDataHead(10));
    await t.deps.db.execute(sql`
      update ticket_imports set attempts = 3, failure = 'connection reset', received = 4
      where id = ${run.id}`);
    await resumeImportsJob.run(t.deps, t.clock.now());
    expect(await storedRun(run.id)).toEqual({ status: 'failed', received: 4, upload: false });
    const page = await (await browser.get(`/console/import/runs/${run.id}`)).text();
    expect(page).toContain('Stopped after 3 attempts: connection reset');
  });

  it('takes up an import whose instance died mid-file after its last committed batch, storing each ticket once', async () => {
    const csv = await sharedDataHead(5_000);
    const run = await recordedRun('crash', csv);
    // What the dead instance left: its first batch of 2,000 rows (lines 2–2001) committed
    // with the run's checkpoint, and its claim, not yet expired.
    const firstBatch = `${csv.split('\n').slice(0, 2_001).join('\n')}\n`;
    const written = await t.request('/v1/tickets/import?source=crash&on_error=skip', {
      method: 'POST',
      headers: { 'content-type': 'text/csv' },
      body: firstBatch,
    });
    expect(((await written.json()) as { inserted: number }).inserted).toBe(2_000);
    await t.deps.db.execute(sql`
      update ticket_imports set lines_done = 2001, received = 2000, inserted = 2000,
        claim = ${crypto.randomUUID()}, attempts = 1,
        lease_until = ${new Date(t.clock.now().getTime() + 60_000).toISOString()}
      where id = ${run.id}`);
    // While its claim holds, neither the minute job nor another instance takes the run.
    await resumeImportsJob.run(t.deps, t.clock.now());
    await runImport(t.deps, run.id);
    expect(await count('tickets', 'crash')).toBe(2_000);
    t.clock.set(new Date(t.clock.now().getTime() + 3 * 60_000).toISOString());
    await resumeImportsJob.run(t.deps, t.clock.now());
    expect(await count('tickets', 'crash')).toBe(5_000);
    const page = await (await browser.get(`/console/import/runs/${run.id}`)).text();
    expect(page).toContain('Imported 5,000 rows: 5,000 new tickets, 0 already known.');
  });

  /**
   * Starts a run of `upload` as checked, puts a one-ticket file (`externalId`) in its stored
   * place, runs it with the check's batches, and gives the ids stored under its source.
   */
  async function runOverAnotherFile(
    upload: Uint8Array,
    options: { map: Record<string, never>; source: string; onError: 'skip' },
    checked: Awaited<ReturnType<typeof checkCsvUpload>>,
    externalId: string,
  ) {
    const run = await startImportRun(
      { ...t.deps, background: () => {} },
      {
        formToken: crypto.randomUUID(),
        apiKeyId: null,
        fileName: `${options.source}.csv`,
        upload,
        options,
        rowsTotal: checked.rows,
        checkedAt: t.clock.now(),
      },
    );
    const other = Buffer.from(`external_id,reason,created_at\n${externalId},Billing,2025-01-02\n`);
    await t.deps.db.execute(
      sql`update ticket_imports set upload = ${other.toString('base64')} where id = ${run.id}`,
    );
    await runImport(t.deps, run.id, checked.batches);
    return rowsOf<{ external_id: string }>(
      await t.deps.db.execute(
        sql`select external_id from tickets where source = ${options.source} order by external_id`,
      ),
    ).map((row) => row.external_id);
  }

  it('writes the batches its check read rather than reading the stored file again', async () => {
    const csv = 'external_id,reason,created_at\nK1,Billing,2025-01-02\nK2,Billing,2025-01-03\n';
    const upload = new TextEncoder().encode(csv);
    const options = { map: {}, source: 'kept', onError: 'skip' as const };
    const checked = await checkCsvUpload(t.deps, upload, options);
    expect(checked.batches).toHaveLength(1);
    // Another file in its place: read again, it would store Z1 and no K ticket.
    expect(await runOverAnotherFile(upload, options, checked, 'Z1')).toEqual(['K1', 'K2']);
  });

  it('keeps checked batches only within the budget of the process, and gives them back once written or refused', async () => {
    const csv = 'external_id,reason,created_at\nM1,Billing,2025-01-02\nM2,Billing,2025-01-03\n';
    const upload = new TextEncoder().encode(csv);
    const options = { map: {}, source: 'budget', onError: 'skip' as const };
    // Other uploads' batches hold all but a few bytes of the budget.
    const others = new KeptBatches();
    const ticket = {
      ...{ source: 'other', externalId: 'x'.repeat(KEPT_BYTES_MAX - 1_000), accountId: null },
      ...{ rawReasonKey: 'billing', reasonLabel: 'Billing', subReason: null, channel: null },
      ...{ createdAt: '2025-01-02T00:00:00.000Z', resolvedAt: null, firstResponseAt: null },
      csat: null,
    };
    const prepared = { tickets: [ticket], copies: new Map(), received: 1, rejected: 0 };
    expect(others.keep({ prepared, lastLine: 2, unreadable: 0, errors: [] })).toBe(true);
    try {
      const checked = await checkCsvUpload(t.deps, upload, options);
      expect(checked.rows).toBe(2);
      expect(checked.batches).toBeUndefined();
      expect(keptBatchBytes()).toBe(others.bytes);
      // Nothing kept, the run reads what is stored.
      expect(await runOverAnotherFile(upload, options, checked, 'N1')).toEqual(['N1']);
    } finally {
      others.drop();
    }
    expect(keptBatchBytes()).toBe(0);
    // Through the form: kept while the run waits, given back once it is written.
    const response = await send(await filledForm('budget-form', csv.replaceAll('M', 'F')));
    expect(response.status).toBe(303);
    await t.settle();
    expect(await count('tickets', 'budget-form')).toBe(2);
    expect(keptBatchBytes()).toBe(0);
    // Refused after its check (stored under another source), the upload keeps nothing either.
    const again = await send(await filledForm('budget-again', csv.replaceAll('M', 'F')));
    expect(again.status).toBe(409);
    expect(keptBatchBytes()).toBe(0);
  });

  it('refuses a form without its one-time token, importing nothing', async () => {
    const form = await filledForm(
      'stale',
      'external_id,reason,created_at\nX1,Billing,2025-01-02\n',
    );
    form.set('import_token', '');
    const runsBefore = await count('ticket_imports');
    const response = await send(form);
    expect(response.status).toBe(400);
    expect(await response.text()).toMatch(
      /id="file-error"[^>]*>This form is out of date: reload the page/,
    );
    expect(await count('ticket_imports')).toBe(runsBefore);
    expect(await count('tickets', 'stale')).toBe(0);
  });

  it('says so for an import it does not know', async () => {
    for (const id of ['nope', crypto.randomUUID()]) {
      const response = await browser.get(`/console/import/runs/${id}`);
      expect(response.status).toBe(404);
      expect(await response.text()).toContain('There is no such import.');
    }
  });
});
