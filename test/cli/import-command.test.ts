import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { rowsOf } from '../../src/db/json-param';
import { freePort } from '../helpers/free-port';
import { runImportCommand as runImport } from '../helpers/run-import-command';
import { serveTestApp } from '../helpers/serve-app';
import { sharedDataHead } from '../helpers/shared-data';
import { startTestApp, type TestApp } from '../helpers/test-app';
import { ticket } from '../helpers/tickets';

// Each test runs the import command as a child process (a tsx start of its own) several times:
// over 20 s on a loaded 2-core machine, too close to vitest's 30 s default.
describe('npm run import', { timeout: 90_000 }, () => {
  let t: TestApp;
  let dir: string;
  let file: string;
  let failAfter = Number.POSITIVE_INFINITY;
  let posts = 0;
  let server: Awaited<ReturnType<typeof serveTestApp>>;

  beforeAll(async () => {
    t = await startTestApp();
    t.clock.set('2026-02-20T12:00:00Z');
    dir = await mkdtemp(join(tmpdir(), 'forestall-import-'));
    file = join(dir, 'head.csv.gz');
    // Real rows from the shared data set, plus one the server must refuse (a future date).
    const csv = `${await sharedDataHead(1_200)}"BAD-1","11201","Finance","","Brooklyn","2031-01-01",""\n`;
    await writeFile(file, gzipSync(csv));
    server = await serveTestApp(t, (request) => {
      if (request.method !== 'POST') return undefined;
      posts++;
      return posts > failAfter ? new Response('down for maintenance', { status: 503 }) : undefined;
    });
  });
  afterAll(async () => {
    await server.close();
    await t.close();
    await rm(dir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    await t.deps.db.execute(
      sql`truncate tickets, reason_weeks, reason_days, reason_aliases, reasons cascade`,
    );
    posts = 0;
    failAfter = Number.POSITIVE_INFINITY;
  });

  const env = () => ({ FORESTALL_URL: server.url, FORESTALL_API_KEY: t.adminKey });
  const ticketCount = async () =>
    rowsOf<{ n: number }>(await t.deps.db.execute(sql`select count(*)::int as n from tickets`))[0]
      ?.n;

  it('imports the shared data set by column name, reports a summary and the rejected row', async () => {
    const checkpoints = join(dir, 'checkpoints-a');
    const { code, output } = await runImport(
      [file, '--source', 'nyc-council', '--batch-size', '500', '--checkpoint-dir', checkpoints],
      env(),
    );
    expect(code, output).toBe(0);
    expect(output).toMatch(/1201 rows: \d+ inserted, 0 updated, \d+ duplicates, 1 rejected/);
    expect(output).toContain('created_at must not be in the future');
    expect(output).toMatch(/rows\/s/);
    expect(await ticketCount()).toBeGreaterThan(1_150);

    const again = await runImport(
      [file, '--source', 'nyc-council', '--checkpoint-dir', checkpoints],
      env(),
    );
    expect(again.output).toContain('already imported');
  });

  it('imports a file already sent to another server, and says how far it got as it goes', async () => {
    const checkpoints = join(dir, 'checkpoints-c');
    const args = [file, '--source', 'nyc', '--batch-size', '400', '--checkpoint-dir', checkpoints];
    const elsewhere = await runImport([...args, '--progress-seconds', '0'], {
      ...env(),
      FORESTALL_URL: server.url.replace('127.0.0.1', 'localhost'),
    });
    expect(elsewhere.code, elsewhere.output).toBe(0);
    // Not on a terminal: a line per batch here (every 5 s by default).
    expect(elsewhere.output).toMatch(/400 rows sent, \d+% of the file read \(\d[\d,]* rows\/s\)/);
    expect(elsewhere.output).toMatch(/1,200 rows sent/);
    await t.deps.db.execute(
      sql`truncate tickets, reason_weeks, reason_days, reason_aliases, reasons cascade`,
    );

    const here = await runImport(args, env());
    expect(here.code, here.output).toBe(0);
    expect(here.output).not.toContain('already imported');
    expect(await ticketCount()).toBeGreaterThan(1_150);
    expect(here.output).not.toMatch(/rows sent,/);
  });

  it('resumes after a failure without sending finished batches again or double counting', async () => {
    const checkpoints = join(dir, 'checkpoints-b');
    const args = [
      file,
      '--source',
      'nyc-council',
      '--batch-size',
      '300',
      '--checkpoint-dir',
      checkpoints,
    ];
    failAfter = 2;
    const broken = await runImport(args, env());
    expect(broken.code).toBe(1);
    expect(broken.output).toContain('Giving up');
    const afterCrash = await ticketCount();
    expect(afterCrash).toBeGreaterThan(0);

    failAfter = Number.POSITIVE_INFINITY;
    posts = 0;
    const resumed = await runImport(args, env());
    expect(resumed.code, resumed.output).toBe(0);
    expect(resumed.output).toMatch(/Resuming .* after line 601/);
    // Lines 602-901, 902-1201 and the refused line 1202: three batches, none of the first two.
    expect(posts).toBe(3);

    const fresh = await runImport([...args, '--restart'], env());
    expect(fresh.output).toMatch(/0 inserted/);
    const ids = rowsOf<{ n: number; d: number }>(
      await t.deps.db.execute(
        sql`select count(*)::int as n, count(distinct external_id)::int as d from tickets`,
      ),
    )[0];
    expect(ids?.n).toBe(ids?.d);
  });

  it('refuses a file stored already under another source, and imports it with --store-anyway', async () => {
    const checkpoints = join(dir, 'checkpoints-d');
    const slice = join(dir, 'slice.csv');
    await writeFile(slice, await sharedDataHead(200));
    const under = (source: string, ...more: string[]) =>
      runImport([slice, '--source', source, '--checkpoint-dir', checkpoints, ...more], env());
    expect((await under('nyc-council')).code).toBe(0);
    const stored = await ticketCount();

    const refused = await under('csv');
    expect(refused.code).toBe(1);
    expect(refused.output).toMatch(
      /refused: [\d,]+ of the first [\d,]+ tickets in this batch \(100%\) have ids stored already under the source "nyc-council"/,
    );
    expect(refused.output).toContain('--store-anyway');
    expect(await ticketCount()).toBe(stored);

    const anyway = await under('csv', '--store-anyway');
    expect(anyway.code, anyway.output).toBe(0);
    expect(await ticketCount()).toBe(2 * (stored ?? 0));
  });

  it('refuses a file sent under a source with tickets already when its ids are stored under another', async () => {
    const checkpoints = join(dir, 'checkpoints-f');
    const slice = join(dir, 'slice-known.csv');
    await writeFile(slice, await sharedDataHead(200));
    const under = (source: string, ...more: string[]) =>
      runImport([slice, '--source', source, '--checkpoint-dir', checkpoints, ...more], env());
    expect((await under('nyc-council')).code).toBe(0);
    const known = await t.request('/v1/tickets', {
      method: 'POST',
      json: { tickets: [ticket('csv-1', { source: 'csv' })] },
    });
    expect(known.status).toBe(200);
    const stored = await ticketCount();

    const refused = await under('csv');
    expect(refused.code).toBe(1);
    expect(refused.output).toMatch(
      /refused: [\d,]+ of the first [\d,]+ tickets in this batch \(100%\) have ids stored already under the source "nyc-council"/,
    );
    expect(refused.output).toContain('--store-anyway');
    expect(await ticketCount()).toBe(stored);

    const anyway = await under('csv', '--store-anyway');
    expect(anyway.code, anyway.output).toBe(0);
    expect(await ticketCount()).toBe(2 * (stored ?? 0) - 1);
  });

  it('says how many rows repeated a ticket earlier in their batch', async () => {
    const copies = join(dir, 'copies.csv');
    await writeFile(
      copies,
      'external_id,reason,created_at\nR1,Billing,2025-01-02\nR1,Shipping,2025-01-02\n' +
        'R2,Billing,2025-01-02\nR2,Billing,2025-01-02\n',
    );
    const { code, output } = await runImport(
      [copies, '--source', 'copies', '--checkpoint-dir', join(dir, 'checkpoints-e')],
      env(),
    );
    expect(code, output).toBe(0);
    expect(output).toContain(
      '4 rows: 2 inserted, 1 updated, 1 duplicates, 0 rejected (2 of the updated and ' +
        'duplicates repeated a ticket earlier in their batch; the last copy is stored)',
    );
  });

  it('sets aside every rejected row of a batch whose refusal lists only the first bad fields', async () => {
    const rows = Array.from({ length: 317 }, (_, i) =>
      i % 3 === 0 ? `G${i},Billing,2025-01-02` : `F${i},Billing,2031-01-01`,
    );
    const many = join(dir, 'many-rejected.csv');
    await writeFile(many, `external_id,reason,created_at\n${rows.join('\n')}\n`);
    const { code, output } = await runImport(
      [many, '--source', 'many', '--checkpoint-dir', join(dir, 'checkpoints-g')],
      env(),
    );
    expect(code, output).toBe(0);
    expect(output).toContain('317 rows: 106 inserted, 0 updated, 0 duplicates, 211 rejected');
    expect(output).toContain('line 3: created_at must not be in the future');
    expect(await ticketCount()).toBe(106);
    // 211 refused rows, 100 listed per refusal: three refusals, then the good rows.
    expect(posts).toBe(4);
  });

  it('explains what it needs when the key or file is missing', async () => {
    const noKey = await runImport([file], { FORESTALL_URL: server.url });
    expect(noKey.code).toBe(1);
    expect(noKey.output).toContain('FORESTALL_API_KEY');
    const noFile = await runImport([], env());
    expect(noFile.code).toBe(2);
    expect(noFile.output).toContain('Usage');
  });

  it('names the address it could not reach and how to point it elsewhere', async () => {
    const nowhere = `http://127.0.0.1:${await freePort()}`;
    const { code, output } = await runImport(
      [file, '--source', 'nyc-council', '--checkpoint-dir', join(dir, 'nowhere')],
      {
        FORESTALL_URL: nowhere,
        FORESTALL_API_KEY: t.adminKey,
      },
    );
    expect(code).toBe(1);
    expect(output).toContain(`Could not reach forestall at ${nowhere}`);
    expect(output).toContain('ECONNREFUSED');
    expect(output).toContain('FORESTALL_URL');
  });
});
