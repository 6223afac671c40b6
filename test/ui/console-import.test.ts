import { createServer } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { gzipSync } from 'node:zlib';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rowsOf } from '../../src/db/json-param';
import { honoListener } from '../../src/node-server';
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

  /** A fresh import form's one-time token, as the page gives it. */
  const formToken = async () =>
    /name="import_token" value="([^"]+)"/.exec(
      await (await browser.get('/console/import')).text(),
    )?.[1] ?? '';
  const upload = async (
    fields: Record<string, string>,
    file?: { name: string; text: string | Uint8Array<ArrayBuffer> },
  ) => {
    const form = new FormData();
    if (!('import_token' in fields)) form.append('import_token', await formToken());
    for (const [key, value] of Object.entries(fields)) form.append(key, value);
    if (file) form.append('file', new File([file.text], file.name, { type: 'text/csv' }));
    const cookie = [...browser.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    return t.app.request('/console/import', { method: 'POST', headers: { cookie }, body: form });
  };
  const ticketCount = async () =>
    rowsOf<{ n: number }>(await t.deps.db.execute(sql`select count(*)::int as n from tickets`))[0]
      ?.n;
  const runCount = async () =>
    rowsOf<{ n: number }>(
      await t.deps.db.execute(sql`select count(*)::int as n from ticket_imports`),
    )[0]?.n;
  /** The page an accepted upload leads to, once its import has run. */
  const resultOf = async (response: Response) => {
    expect(response.status).toBe(303);
    const location = response.headers.get('location') ?? '';
    expect(location).toMatch(/^\/console\/import\/runs\/[0-9a-f-]{36}\?done=/);
    await t.settle();
    return (await browser.get(location)).text();
  };

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
      '1 invalid field; nothing was written. line 3.created_at: must be an ISO 8601 date',
    );
    const noSource = await upload({ _csrf: csrf, source: '', map: 'x', on_error: 'reject' });
    expect(noSource.status).toBe(400);
    expect(await noSource.text()).toMatch(/id="source-error"/);
    const malformed = await upload(
      { _csrf: csrf, source: 'nyc', map: '', on_error: 'skip' },
      { name: 'broken.csv', text: 'external_id,reason,created_at\nA1,"Billing,2025-01-02\n' },
    );
    expect(malformed.status).toBe(400);
    expect(await malformed.text()).toMatch(/id="file-error"[^>]*>Malformed CSV/);
    expect(await ticketCount()).toBe(0);
    expect(await runCount()).toBe(0);
  });

  it('refuses a file with no rows, empty once decompressed or only a byte-order mark, as it refuses an empty .csv', async () => {
    const fields = { _csrf: csrf, source: 'nyc', map: '', on_error: 'skip' };
    const header = 'external_id,reason,created_at\n';
    for (const file of [
      { name: 'empty.csv.gz', text: new Uint8Array(gzipSync('')) },
      { name: 'bom.csv', text: '\ufeff' },
      { name: 'bom.csv.gz', text: new Uint8Array(gzipSync('\ufeff')) },
      { name: 'blank.csv', text: '\n\n' },
      { name: 'header.csv', text: header },
      { name: 'header.csv.gz', text: new Uint8Array(gzipSync(`\ufeff${header}`)) },
    ]) {
      const response = await upload(fields, file);
      expect(response.status, file.name).toBe(400);
      expect(await response.text()).toMatch(
        /id="file-error"[^>]*>The file has no rows to import: it is empty, or holds only its header\./,
      );
    }
    expect(await ticketCount()).toBe(0);
    expect(await runCount()).toBe(0);
  });

  it('refuses an upload without the form’s token', async () => {
    const forged = await upload(
      { _csrf: 'guess', source: 'nyc', map: '', on_error: 'reject' },
      { name: 'a.csv', text: 'external_id,reason,created_at\nA1,Billing,2025-01-02\n' },
    );
    expect(forged.status).toBe(403);
    expect(await ticketCount()).toBe(0);
  });

  it('imports a slice of the shared ticket log and links to the weeks it covers', async () => {
    const csv = await sharedDataHead(300);
    const response = await upload(
      { _csrf: csrf, source: 'nyc', map: '', on_error: 'skip' },
      { name: 'nyc.csv', text: csv },
    );
    expect(decodeURIComponent(response.headers.get('location') ?? '')).toContain(
      'The file is read: 300 rows to import.',
    );
    const page = await resultOf(response);
    expect(page).toContain('<h1>Imported nyc.csv</h1>');
    expect(page).toContain('Imported 300 rows: 300 new tickets, 0 already known.');
    expect(await ticketCount()).toBe(300);
    // The days its tickets were opened on: the slice's first and last, not the log's.
    const days = csv
      .trim()
      .split('\n')
      .slice(1)
      .map((line) => line.split(',')[5]?.replaceAll('"', '') ?? '')
      .sort();
    const range = `from=${days[0]}&amp;to=${days.at(-1)}`;
    const weeks = /href="(\/console\/reasons\?from=[^"&]+&amp;to=[^"]+)"/.exec(page)?.[1];
    expect(weeks).toBe(`/console/reasons?${range}`);
    const reasons = await (await browser.get(weeks?.replaceAll('&amp;', '&') ?? '')).text();
    expect(reasons).toContain('Top reasons by week');
    expect(reasons).toContain('Housing and Buildings');
    expect(page).toContain(`href="/console/spikes?${range}"`);
    expect(page).toMatch(
      /<a href="\/console\/reasons\?reason=Housing[^"]*">Housing and Buildings<\/a>/,
    );
    const again = await resultOf(
      await upload(
        { _csrf: csrf, source: 'nyc', map: '', on_error: 'skip' },
        { name: 'nyc.csv', text: csv },
      ),
    );
    expect(again).toContain('Imported 300 rows: 0 new tickets, 300 already known.');
    expect(await ticketCount()).toBe(300);
  });

  it('keeps a file name of 100,000 characters out of the redirect, and shows it cut short', async () => {
    const name = `${'é'.repeat(100_000 - 4)}.csv`;
    const response = await upload(
      { _csrf: csrf, source: 'long-name', map: '', on_error: 'reject' },
      { name, text: 'external_id,reason,created_at\nL1,Billing,2025-01-02\n' },
    );
    expect(response.headers.get('location')?.length).toBeLessThan(2_000);
    const page = await resultOf(response);
    expect(page).toContain('Imported 1 row: 1 new ticket, 0 already known.');
    const [run] = rowsOf<{ file_name: string }>(
      await t.deps.db.execute(
        sql`select file_name from ticket_imports where options->>'source' = 'long-name'`,
      ),
    );
    expect(run?.file_name).toBe(`${'é'.repeat(199)}…`);
    expect(page).toContain(`<h1>Imported ${run?.file_name}</h1>`);
    expect(page.length).toBeLessThan(100_000);
  });

  it('tells tickets changed since an earlier import from those already known', async () => {
    const csvWith = (reason: string) =>
      `external_id,reason,created_at\nU1,${reason},2025-01-02\nU2,Billing,2025-01-02\n`;
    const form = { _csrf: csrf, source: 'mail', map: '', on_error: 'reject' };
    await resultOf(await upload(form, { name: 'a.csv', text: csvWith('Billing') }));
    const again = await resultOf(await upload(form, { name: 'a.csv', text: csvWith('Shipping') }));
    expect(again).toContain('Imported 2 rows: 0 new tickets, 1 updated, 1 already known.');
  });

  it('says how many rows repeated a ticket earlier in the file, so the counts add up', async () => {
    const form = { _csrf: csrf, source: 'copies', map: '', on_error: 'reject' };
    const csv =
      'external_id,reason,created_at\nR1,Billing,2025-01-02\nR1,Shipping,2025-01-02\n' +
      'R2,Billing,2025-01-02\nR2,Billing,2025-01-02\n';
    const page = await resultOf(await upload(form, { name: 'r.csv', text: csv }));
    expect(page).toContain(
      'Imported 4 rows: 2 new tickets, 1 updated, 1 already known (2 of these repeated a ' +
        'ticket earlier in the file; the last copy is kept).',
    );
  });

  it('counts one of each in the singular, and promises no spike detection when nothing changed', async () => {
    const form = { _csrf: csrf, source: 'single', map: '', on_error: 'skip' };
    const csv = 'external_id,reason,created_at\nS1,Billing,2025-01-02\nS2,Billing,not-a-date\n';
    const first = await resultOf(await upload(form, { name: 's.csv', text: csv }));
    expect(first).toContain(
      'Imported 2 rows: 1 new ticket, 0 already known, 1 bad row skipped. Spike detection runs',
    );
    expect(first).toContain('line 3.created_at');
    const again = await resultOf(await upload(form, { name: 's.csv', text: csv }));
    expect(again).toContain('Imported 2 rows: 0 new tickets, 1 already known, 1 bad row skipped.');
    expect(again).not.toContain('Spike detection');
  });

  it('asks before storing a file’s tickets a second time under another source, naming it', async () => {
    const csv = (ids: string[]) =>
      `external_id,reason,created_at\n${ids.map((id) => `${id},Billing,2025-01-02\n`).join('')}`;
    const file = { name: 'export.csv', text: csv(['D1', 'D2', 'D3', 'D4']) };
    const form = (source: string) => ({ _csrf: csrf, source, map: '', on_error: 'reject' });
    await resultOf(await upload(form('desk'), file));
    const [tickets, runs] = [await ticketCount(), await runCount()];
    const asked = await upload(form('desk-export'), file);
    expect(asked.status).toBe(409);
    const markup = await asked.text();
    expect(markup).toContain(
      'Nothing was imported: this file looks imported already under &quot;desk&quot;.',
    );
    expect(markup.replaceAll('&quot;', '"')).toContain(
      'id="store_anyway-error">4 tickets of the first 4 in this file (100%) have ids stored ' +
        'already under the source "desk". Tickets are known by source and id, so under ' +
        '"desk-export" they would be stored a second time and counted twice. If they are the ' +
        'same tickets, choose "desk" as Source',
    );
    expect(markup).toContain('<input type="checkbox" name="store_anyway" value="yes"/>');
    expect(markup).toContain('value="desk-export"');
    expect([await ticketCount(), await runCount()]).toEqual([tickets, runs]);
    // Under its own source again, or ticked, or with few ids in common, it is imported.
    expect(await resultOf(await upload(form('desk'), file))).toContain('4 already known');
    expect(
      await resultOf(await upload({ ...form('desk-export'), store_anyway: 'yes' }, file)),
    ).toContain('Imported 4 rows: 4 new tickets');
    const fewInCommon = { name: 'other.csv', text: csv(['D1', 'E2', 'E3', 'E4', 'E5']) };
    expect(await resultOf(await upload(form('elsewhere'), fewInCommon))).toContain(
      'Imported 5 rows: 5 new tickets',
    );
  });

  it('imports a .csv.gz as the export came, expanded as it is read', async () => {
    const csv = await sharedDataHead(40);
    // The same rows as the plain import above, under another source on purpose.
    const response = await upload(
      {
        _csrf: csrf,
        source: 'nyc-gz',
        map: '',
        on_error: 'reject',
        charset: 'utf-8',
        store_anyway: 'yes',
      },
      { name: 'nyc-council-complaints.csv.gz', text: new Uint8Array(gzipSync(csv)) },
    );
    expect(await resultOf(response)).toContain('Imported 40 rows: 40 new tickets');
  });

  it('refuses a .csv.gz that expands past the import limit on the form, importing nothing', async () => {
    const small = await startTestApp({ env: { IMPORT_MAX_BYTES: '2000' } });
    try {
      const ops = consoleClient(small);
      await ops.signIn(await small.keyFor('ops'));
      const importPage = await (await ops.get('/console/import')).text();
      const form = new FormData();
      for (const [key, value] of Object.entries({
        _csrf: ops.csrfOf(importPage),
        import_token: /name="import_token" value="([^"]+)"/.exec(importPage)?.[1] ?? '',
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

  it('answers a file over BODY_LIMIT_BYTES with the form, the file field saying its size against the limit', async () => {
    const small = await startTestApp({ env: { BODY_LIMIT_BYTES: String(64 * 1024) } });
    try {
      const ops = consoleClient(small);
      await ops.signIn(await small.keyFor('ops'));
      const importPage = await (await ops.get('/console/import')).text();
      expect(importPage).toContain('up to 64 KB here');
      const form = new FormData();
      for (const [key, value] of Object.entries({
        _csrf: ops.csrfOf(importPage),
        import_token: /name="import_token" value="([^"]+)"/.exec(importPage)?.[1] ?? '',
        source: 'big',
        map: '',
        on_error: 'reject',
        charset: 'utf-8',
      }))
        form.append(key, value);
      const csv = `external_id,reason,created_at\n${'B1,Billing,2025-01-02\n'.repeat(5_000)}`;
      form.append('file', new File([csv], 'big.csv', { type: 'text/csv' }));
      const cookie = [...ops.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
      // As a browser sends it, its length declared; and streamed, its length unknown.
      const encoded = new Response(form);
      const bytes = new Uint8Array(await encoded.arrayBuffer());
      const declared = await small.app.request('/console/import', {
        method: 'POST',
        headers: {
          cookie,
          'content-type': encoded.headers.get('content-type') ?? '',
          'content-length': String(bytes.byteLength),
        },
        body: bytes,
      });
      const streamed = await small.app.request('/console/import', {
        method: 'POST',
        headers: { cookie },
        body: form,
      });
      for (const [response, size] of [
        [declared, `about ${Math.ceil((bytes.byteLength / 1024) * 10) / 10} KB`],
        [streamed, 'over 64 KB'],
      ] as const) {
        expect(response.status).toBe(413);
        const markup = await response.text();
        expect(markup).toContain('<h1>Import tickets</h1>');
        expect(markup).toContain('The file is too large for this form; nothing was imported.');
        expect(markup).toMatch(/<input type="file" id="file" name="file"[^>]*aria-invalid="true"/);
        expect(markup).toContain(
          `id="file-error">The file is ${size}; this server takes up to 64 KB per upload here. ` +
            'Split it, or send it with npm run import or POST /v1/tickets/import, which take up ' +
            'to 1 GB.',
        );
        expect(markup).not.toContain('Back to the overview');
      }
      const [row] = rowsOf<{ tickets: number; runs: number }>(
        await small.deps.db.execute(
          sql`select (select count(*)::int from tickets) as tickets,
            (select count(*)::int from ticket_imports) as runs`,
        ),
      );
      expect(row).toEqual({ tickets: 0, runs: 0 });
      // Signed out, the upload is not answered with the form.
      const stranger = await small.app.request('/console/import', { method: 'POST', body: form });
      expect(stranger.status).toBe(303);
    } finally {
      await small.close();
    }
  });

  /**
   * POSTs `body` to `/console/import` over a real socket as a slow browser does: half of it,
   * a pause longer than Node's adapter waits after an answer it sent early (half a second)
   * unless the server hangs up first, then the rest; what came back and how it ended.
   */
  async function slowUpload(
    app: TestApp['app'],
    headers: Record<string, string>,
    body: Buffer,
  ): Promise<{ answer: string; errors: string[]; hungUpAt?: number; sent: number }> {
    const server = createServer(honoListener(app));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const socket = connect({
        port: (server.address() as AddressInfo).port,
        host: '127.0.0.1',
        allowHalfOpen: true,
      });
      const received: Buffer[] = [];
      const result = { errors: [] as string[], hungUpAt: undefined as number | undefined, sent: 0 };
      socket.on('data', (chunk: Buffer) => received.push(chunk));
      socket.on('error', (error) => result.errors.push(error.message));
      const hungUp = new Promise<void>((resolve) =>
        socket.on('end', () => {
          result.hungUpAt = result.sent;
          resolve();
        }),
      );
      const write = (bytes: Buffer) =>
        new Promise<void>((resolve) => {
          result.sent += bytes.byteLength;
          socket.write(bytes, () => resolve());
        });
      await new Promise<void>((resolve) => socket.once('connect', resolve));
      const head = Object.entries({ ...headers, 'Content-Length': String(body.byteLength) })
        .map(([name, value]) => `${name}: ${value}\r\n`)
        .join('');
      await write(
        Buffer.from(
          `POST /console/import HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n${head}\r\n`,
        ),
      );
      await write(body.subarray(0, body.byteLength / 2));
      await Promise.race([hungUp, new Promise((resolve) => setTimeout(resolve, 2_000))]);
      if (!socket.destroyed) await write(body.subarray(body.byteLength / 2));
      await hungUp;
      return { ...result, answer: Buffer.concat(received).toString() };
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }

  it('reads an upload over BODY_LIMIT_BYTES to its end before answering, so a client still sending it gets the 413 page, not a reset', async () => {
    const small = await startTestApp({ env: { BODY_LIMIT_BYTES: String(64 * 1024) } });
    try {
      const ops = consoleClient(small);
      await ops.signIn(await small.keyFor('ops'));
      const form = new FormData();
      form.append('_csrf', ops.csrfOf(await (await ops.get('/console/import')).text()));
      const csv = `external_id,reason,created_at\n${'B1,Billing,2025-01-02\n'.repeat(10_000)}`;
      form.append('file', new File([csv], 'big.csv', { type: 'text/csv' }));
      const encoded = new Response(form);
      const body = Buffer.from(await encoded.arrayBuffer());
      expect(body.byteLength).toBeGreaterThan(3 * 64 * 1024);
      const cookie = [...ops.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
      const contentType = encoded.headers.get('content-type') ?? '';
      const upload = await slowUpload(
        small.app,
        { Cookie: cookie, 'Content-Type': contentType },
        body,
      );
      expect(upload.errors).toEqual([]);
      expect(upload.hungUpAt).toBe(upload.sent);
      expect(upload.answer).toMatch(/^HTTP\/1\.1 413 /);
      expect(upload.answer).toContain(
        `id="file-error">The file is about ${Math.ceil((body.byteLength / 1024) * 10) / 10} KB`,
      );
      expect(upload.answer).toContain('</html>');

      // Signed out (a session that lapsed while the form was open): sent to sign in, the
      // same way, once the upload is read.
      const signedOut = await slowUpload(small.app, { 'Content-Type': contentType }, body);
      expect(signedOut.errors).toEqual([]);
      expect(signedOut.hungUpAt).toBe(signedOut.sent);
      expect(signedOut.answer).toMatch(/^HTTP\/1\.1 303 /);
      expect(signedOut.answer).toContain('location: /console/sign-in?next=%2Fconsole%2Fimport');
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
    await resultOf(read);
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
  // Last: the sources stored here would be looked up by every import after it.
  it('looks up fewer of a file’s ids under more stored sources, so the look-up stays small', async () => {
    const ticket = (source: string, id: string) => ({
      source,
      external_id: id,
      reason: 'Billing',
      created_at: '2025-01-02T00:00:00Z',
    });
    const spread = Array.from({ length: 2_001 }, (_, i) => ticket(`spread-${i}`, `X${i}`));
    const helpdesk = Array.from({ length: 100 }, (_, i) => ticket('helpdesk', `H${i}`));
    for (const tickets of [spread, helpdesk]) {
      const stored = await t.request('/v1/tickets', { method: 'POST', json: { tickets } });
      expect(stored.status).toBe(200);
    }
    const csv = `external_id,reason,created_at\n${helpdesk.map((h) => `${h.external_id},Billing,2025-01-02\n`).join('')}`;
    const asked = await upload(
      { _csrf: csrf, source: 'helpdesk-export', map: '', on_error: 'reject' },
      { name: 'helpdesk.csv', text: csv },
    );
    expect(asked.status).toBe(409);
    const said = /(\d+) tickets of the first (\d+) in this file \(100%\)/.exec(await asked.text());
    // 2,002 sources or more: 100,000 probes at most leave 49 ids of the 100.
    expect(said?.[1]).toBe(said?.[2]);
    expect(Number(said?.[2])).toBeLessThanOrEqual(49);
    expect(Number(said?.[2])).toBeGreaterThanOrEqual(20);
  });
});
