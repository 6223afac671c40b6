import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import type { Database } from '../../src/db/database';
import { MIGRATIONS_FOLDER } from '../../src/db/migrate';

type Journal = { entries: { tag: string }[] };

/**
 * Empties a test database and applies the migrations up to `lastTag` (a file of drizzle/
 * without `.sql`), leaving it as a release of that time did; `migrateDatabase` then applies
 * the rest, as the next release's start does. drizzle's migrator reads a folder's journal,
 * so it is given a copy of drizzle/ whose journal ends at `lastTag`.
 */
export async function migrateEmptyDatabaseTo(database: Database, lastTag: string): Promise<void> {
  await database.db.execute(sql`drop schema if exists drizzle cascade`);
  await database.db.execute(sql`drop schema public cascade`);
  await database.db.execute(sql`create schema public`);
  await migrateTo(database, lastTag);
}

/**
 * Applies the migrations the database lacks up to `lastTag`, and none after it: a test of one
 * migration's effect, which a later migration would change again.
 */
export async function migrateTo(database: Database, lastTag: string): Promise<void> {
  const journal: Journal = JSON.parse(
    await readFile(join(MIGRATIONS_FOLDER, 'meta', '_journal.json'), 'utf8'),
  );
  const last = journal.entries.findIndex((entry) => entry.tag === lastTag);
  if (last < 0) throw new Error(`no migration ${lastTag} in drizzle/`);
  const entries = journal.entries.slice(0, last + 1);
  const folder = await mkdtemp(join(tmpdir(), 'forestall-migrations-'));
  try {
    await mkdir(join(folder, 'meta'));
    await writeFile(join(folder, 'meta', '_journal.json'), JSON.stringify({ ...journal, entries }));
    for (const { tag } of entries) {
      await copyFile(join(MIGRATIONS_FOLDER, `${tag}.sql`), join(folder, `${tag}.sql`));
    }
    if (database.driver === 'pglite') {
      const { migrate } = await import('drizzle-orm/pglite/migrator');
      await migrate(database.native, { migrationsFolder: folder });
    } else {
      const { migrate } = await import('drizzle-orm/postgres-js/migrator');
      await migrate(database.native, { migrationsFolder: folder });
    }
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}
