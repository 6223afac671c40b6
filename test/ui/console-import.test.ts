import { gzipSync } from 'node:zlib';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rowsOf } from '../../src/db/json-param';
import { consoleClient } from '../helpers/console-client';
import { sharedDataHead } from '../helpers/shared-data';
import { startTestApp, type TestApp } from '../helpers/test-app';

describe('importing tickets from the console', () => {
  let t: TestApp;
  let browser: ReturnType<typeof consoleClient>;
  let csrf: string;
  beforeAll(async () => {
    t = await startTestApp();
    t.clock.set('2026-03-02T09:00:00Z');
    browser = consoleClient(t);
    await browser.signIn(await t.keyFor('ops'));
    csrf = browser.csrfOf(await (await browser.get('/console/import')).text());
  });
  afterAll(() => t.close());

  const upload = (
    fields: Record<string, string>,
    file?: { name: string; text: string | Uint8Array<ArrayBuffer> },
  ) => {
    const form = new FormData();
    for (const [key, value] of Object.entries(fields)) form.append(key, value);
    if (file) form.append('file', new File([file.text], file.name, { type: 'text/csv' }));
    const cookie = [...browser.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    return t.app.request('/console/import', { method: 'POST', headers: { cookie }, body: form });
  };
  const ticketCount = async () =>
    rowsOf<{ n: number }>(await t.deps.db.execute(sql`select count(*)::int as n from tickets`))[0]
      ?.n;

  it('says what to fix and imports nothing without a file, or with a bad row in reject mode', async () => {
    const none = await upload({ _csrf: csrf, source: 'nyc', map: '', on_error: 'reject' });
    expect(none.status).toBe(400);
    const markup = await none.text();
    expect(markup).toContain('Choose a CSV file to import.');
    expect(markup).toMatch(/id="file-error"/);
    const bad = await upload(
      { _csrf: csrf, source: 'nyc', map: '', on_error: 'reject' },
      {
        name: 'bad.csv',
        text: 'external_id,reason,created_at\nA1,Billing,2025-01-02\nA2,Billing,not a date\n',
      },
    );
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain(
      'nothing was written. line 3.created_at: must be an ISO 8601 date',
    );
    const noSource = await upload({ _csrf: csrf, source: '', map: 'x', on_error: 'reject' });
    expect(noSource.status).toBe(400);
    expect(await noSource.text()).toMatch(/id="source-error"/);
    expect(await ticketCount()).toBe(0);
  });

  it('refuses an upload without the form’s token', async () => {
    const forged = await upload(
      { _csrf: 'guess', source: 'nyc', map: '', on_error: 'reject' },
      { name: 'a.csv', text: 'external_id,reason,created_at\nA1,Billing,2025-01-02\n' },
    );
    expect(forged.status).toBe(403);
    expect(await ticketCount()).toBe(0);
  });

  it('imports a slice of the shared ticket log and leads to its contact reasons', async () => {
    const csv = await sharedDataHead(300);
    const response = await upload(
      { _csrf: csrf, source: 'nyc', map: '', on_error: 'skip' },
      { name: 'nyc.csv', text: csv },
    );
    expect(response.status).toBe(303);
    const location = response.headers.get('location') ?? '';
    expect(location).toMatch(/^\/console\/reasons\?done=/);
    expect(decodeURIComponent(location)).toContain('Imported 300 rows: 300 new tickets');
    expect(await ticketCount()).toBe(300);
    const again = await upload(
      { _csrf: csrf, source: 'nyc', map: '', on_error: 'skip' },
      { name: 'nyc.csv', text: csv },
    );
    expect(decodeURIComponent(again.headers.get('location') ?? '')).toContain(
      '0 new tickets, 300 already known',
    );
    const reasons = await (await browser.get(location)).text();
    expect(reasons).toContain('Imported 300 rows');
    expect(reasons).toContain('Governmental Operations');
    expect(await ticketCount()).toBe(300);
  });

  it('tells tickets changed since an earlier import from those already known', async () => {
    const csvWith = (reason: string) =>
      `external_id,reason,created_at\nU1,${reason},2025-01-02\nU2,Billing,2025-01-02\n`;
    const form = { _csrf: csrf, source: 'mail', map: '', on_error: 'reject' };
    await upload(form, { name: 'a.csv', text: csvWith('Billing') });
    const again = await upload(form, { name: 'a.csv', text: csvWith('Shipping') });
    expect(decodeURIComponent(again.headers.get('location') ?? '')).toContain(
      'Imported 2 rows: 0 new tickets, 1 updated, 1 already known.',
    );
  });

  it('counts one of each in the singular, and promises no spike detection when nothing changed', async () => {
    const form = { _csrf: csrf, source: 'single', map: '', on_error: 'skip' };
    const csv = 'external_id,reason,created_at\nS1,Billing,2025-01-02\nS2,Billing,not-a-date\n';
    const first = await upload(form, { name: 's.csv', text: csv });
    expect(decodeURIComponent(first.headers.get('location') ?? '')).toContain(
      'Imported 2 rows: 1 new ticket, 0 already known, 1 bad row skipped. Spike detection runs',
    );
    const again = await upload(form, { name: 's.csv', text: csv });
    const message = decodeURIComponent(again.headers.get('location') ?? '');
    expect(message).toContain(
      'Imported 2 rows: 0 new tickets, 1 already known, 1 bad row skipped.',
    );
    expect(message).not.toContain('Spike detection');
  });

  it('imports a .csv.gz as the export came, expanded as it is read', async () => {
    const csv = await sharedDataHead(40);
    const response = await upload(
      { _csrf: csrf, source: 'nyc-gz', map: '', on_error: 'reject', charset: 'utf-8' },
      { name: 'nyc-council-complaints.csv.gz', text: new Uint8Array(gzipSync(csv)) },
    );
    expect(response.status).toBe(303);
    expect(decodeURIComponent(response.headers.get('location') ?? '')).toContain(
      'Imported 40 rows: 40 new tickets',
    );
  });

  it('refuses a .csv.gz that expands past the import limit on the form, importing nothing', async () => {
    const small = await startTestApp({ env: { IMPORT_MAX_BYTES: '2000' } });
    try {
      const ops = consoleClient(small);
      await ops.signIn(await small.keyFor('ops'));
      const token = ops.csrfOf(await (await ops.get('/console/import')).text());
      const form = new FormData();
      for (const [key, value] of Object.entries({
        _csrf: token,
        source: 'nyc-gz',
        map: '',
        on_error: 'reject',
        charset: 'utf-8',
      }))
        form.append(key, value);
      const gz = new Uint8Array(gzipSync(await sharedDataHead(40)));
      form.append('file', new File([gz], 'big.csv.gz', { type: 'application/gzip' }));
      const cookie = [...ops.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
      const response = await small.app.request('/console/import', {
        method: 'POST',
        headers: { cookie },
        body: form,
      });
      expect(response.status).toBe(400);
      const markup = await response.text();
      expect(markup).toContain('<h1>Import tickets</h1>');
      expect(markup).toMatch(/once decompressed/);
      const [row] = rowsOf<{ n: number }>(
        await small.deps.db.execute(sql`select count(*)::int as n from tickets`),
      );
      expect(row?.n).toBe(0);
    } finally {
      await small.close();
    }
  });

  it('asks for the encoding of a file that is not UTF-8, and reads it in the one chosen', async () => {
    // "Café" in Windows-1252: é is the single byte 0xE9, never valid UTF-8.
    const latin1 = new Uint8Array([
      ...new TextEncoder().encode('external_id,reason,created_at\nW1,Caf'),
      0xe9,
      ...new TextEncoder().encode(',2025-01-02\n'),
    ]);
    const before = await ticketCount();
    const refused = await upload(
      { _csrf: csrf, source: 'win', map: '', on_error: 'reject', charset: 'utf-8' },
      { name: 'export.csv', text: latin1 },
    );
    expect(refused.status).toBe(400);
    const markup = await refused.text();
    expect(markup).toMatch(
      /id="charset-error"[^>]*>The file is not valid utf-8: choose the encoding/,
    );
    expect(markup).not.toContain('Content-Type');
    expect(await ticketCount()).toBe(before);
    const read = await upload(
      { _csrf: csrf, source: 'win', map: '', on_error: 'reject', charset: 'windows-1252' },
      { name: 'export.csv', text: latin1 },
    );
    expect(read.status).toBe(303);
    const reasons = await (
      await browser.get('/console/reasons?from=2024-12-30&to=2025-01-05')
    ).text();
    expect(reasons).toContain('Café');
  });

  it('refuses an encoding it does not offer, naming the field', async () => {
    const response = await upload(
      { _csrf: csrf, source: 'x', map: '', on_error: 'reject', charset: 'klingon' },
      { name: 'a.csv', text: 'external_id,reason,created_at\nK1,Billing,2025-01-02\n' },
    );
    expect(response.status).toBe(400);
    expect(await response.text()).toMatch(/id="charset-error"/);
  });
});
