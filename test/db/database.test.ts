import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rowsOf } from '../../src/db/json-param';
import { MIGRATIONS_FOLDER, migrateDatabase } from '../../src/db/migrate';
import { openDatabase, redactUrl } from '../../src/db/open-database';
import { apiKeys } from '../../src/db/schema';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';

describe('the test suite database', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(() => database.close());

  it('uses the driver the suite was started for', () => {
    expect(database.driver).toBe(process.env.TEST_DATABASE_URL ? 'postgres' : 'pglite');
  });

  it('arrives migrated, and migrating again changes nothing', async () => {
    const before = rowsOf<{ n: number }>(
      await database.db.execute(sql`select count(*)::int as n from drizzle.__drizzle_migrations`),
    );
    await migrateDatabase(database);
    const after = rowsOf<{ n: number }>(
      await database.db.execute(sql`select count(*)::int as n from drizzle.__drizzle_migrations`),
    );
    expect(before[0]?.n).toBeGreaterThan(0);
    expect(after).toEqual(before);
  });

  it('lets two instances migrate an empty database at the same time', async () => {
    await database.db.execute(sql`drop schema drizzle cascade`);
    await database.db.execute(sql`drop schema public cascade`);
    await database.db.execute(sql`create schema public`);
    const other = await database.openAnother();
    await Promise.all([migrateDatabase(database), migrateDatabase(other)]);
    await other.close();
    const applied = rowsOf<{ n: number }>(
      await database.db.execute(sql`select count(*)::int as n from drizzle.__drizzle_migrations`),
    );
    const journal = JSON.parse(
      await readFile(join(MIGRATIONS_FOLDER, 'meta', '_journal.json'), 'utf8'),
    ) as { entries: unknown[] };
    expect(applied[0]?.n).toBe(journal.entries.length);
    expect(await database.db.select().from(apiKeys)).toEqual([]);
  });

  it('rolls a failed transaction back completely', async () => {
    await expect(
      database.db.transaction(async (tx) => {
        await tx.insert(apiKeys).values({
          id: '0192f0c4-0000-7000-8000-00000000000a',
          name: 'half-written',
          role: 'ops',
          prefix: 'fst_half',
          secretHash: 'a'.repeat(64),
        });
        throw new Error('crash mid-transaction');
      }),
    ).rejects.toThrow('crash mid-transaction');
    expect(await database.db.select().from(apiKeys)).toEqual([]);
  });
});

describe('opening a database by URL', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'forestall-db-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('keeps the embedded database across a restart (file://)', async () => {
    const url = `file://${join(dir, 'nested', 'forestall')}`;
    const first = await openDatabase(url);
    expect(first.driver).toBe('pglite');
    await migrateDatabase(first);
    await first.db.insert(apiKeys).values({
      id: '0192f0c4-0000-7000-8000-00000000000b',
      name: 'survives restarts',
      role: 'app',
      prefix: 'fst_keep',
      secretHash: 'b'.repeat(64),
    });
    await first.close();

    const second = await openDatabase(url);
    await migrateDatabase(second);
    const rows = await second.db.select().from(apiKeys);
    expect(rows.map((row) => row.name)).toEqual(['survives restarts']);
    await second.close();
  });

  it('chooses postgres.js for postgres:// without connecting yet', async () => {
    const database = await openDatabase('postgres://nobody@127.0.0.1:1/none');
    expect(database.driver).toBe('postgres');
    await database.close();
  });

  it('refuses a scheme it does not know', async () => {
    await expect(openDatabase('mysql://localhost/x')).rejects.toThrow(/Unsupported database URL/);
  });

  it('never prints a password from a URL', () => {
    expect(redactUrl('postgres://forestall:s3cret@db:5432/app')).toBe(
      'postgres://forestall:***@db:5432/app',
    );
  });
});
