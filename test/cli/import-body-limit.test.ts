import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rowsOf } from '../../src/db/json-param';
import { runImportCommand as runImport } from '../helpers/run-import-command';
import { serveTestApp } from '../helpers/serve-app';
import { startTestApp, type TestApp } from '../helpers/test-app';

describe('npm run import against a server with a small body limit', () => {
  let t: TestApp;
  let dir: string;
  let server: Awaited<ReturnType<typeof serveTestApp>>;
  beforeAll(async () => {
    t = await startTestApp({ env: { BODY_LIMIT_BYTES: '4096' } });
    t.clock.set('2026-02-20T12:00:00Z');
    dir = await mkdtemp(join(tmpdir(), 'forestall-import-split-'));
    server = await serveTestApp(t);
  });
  afterAll(async () => {
    await server.close();
    await t.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('splits a batch the server refuses as too large, and sends every ticket once', async () => {
    // About 9 KB as JSON: twice the server's body limit, so one request cannot carry it.
    const wide = 'x'.repeat(120);
    const rows = Array.from({ length: 40 }, (_, i) => `${i},Billing,Wide ${wide},2026-02-02`);
    rows.push(`39,Billing,sent again,2026-02-02`, 'late,Billing,,2031-01-01');
    const file = join(dir, 'wide.csv');
    await writeFile(file, `external_id,reason,sub_reason,created_at\n${rows.join('\n')}\n`);
    const { code, output } = await runImport(
      [file, '--source', 'crm', '--checkpoint-dir', join(dir, 'checkpoints')],
      { FORESTALL_URL: server.url, FORESTALL_API_KEY: t.adminKey },
    );
    expect(code, output).toBe(0);
    expect(output).toContain('42 rows: 40 inserted, 1 updated, 0 duplicates, 1 rejected');
    expect(output).toContain('line 43: created_at must not be in the future');
    const stored = rowsOf<{ n: number; again: number }>(
      await t.deps.db.execute(
        sql`select count(*)::int as n, count(*) filter (where sub_reason = 'sent again')::int as again
            from tickets`,
      ),
    );
    expect(stored).toEqual([{ n: 40, again: 1 }]);
  });
});
