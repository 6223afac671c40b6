import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectFolder } from '../lib/project-folder';
import { ADVISORY_LOCKS } from './advisory-locks';
import type { Database } from './database';

/** Node-only: migrations are read from disk. Workers apply them with `npm run db:migrate`. */
export const MIGRATIONS_FOLDER = projectFolder('drizzle');

/** A fingerprint of the migrations: what a migrated template or seed was built from. */
export function migrationsFingerprint(): string {
  const hash = createHash('sha256');
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
      a.name.localeCompare(b.name),
    )) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else hash.update(entry.name).update(readFileSync(path));
    }
  };
  walk(MIGRATIONS_FOLDER);
  return hash.digest('hex').slice(0, 12);
}

// PGlite is one connection, so an advisory lock cannot serialise callers sharing it: they
// queue here instead.
const pgliteMigrations = new WeakMap<Database['db'], Promise<void>>();

export async function migrateDatabase(database: Database): Promise<void> {
  if (database.driver === 'pglite') {
    const previous = pgliteMigrations.get(database.db) ?? Promise.resolve();
    const next = previous.catch(() => {}).then(() => migratePglite(database.native));
    pgliteMigrations.set(database.db, next);
    return next;
  }
  return migratePostgres(database.native);
}

type Native<D extends Database['driver']> = Extract<Database, { driver: D }>['native'];

async function migratePglite(db: Native<'pglite'>): Promise<void> {
  const { migrate } = await import('drizzle-orm/pglite/migrator');
  await migrate(db, { migrationsFolder: MIGRATIONS_FOLDER });
}

async function migratePostgres(db: Native<'postgres'>): Promise<void> {
  const { migrate } = await import('drizzle-orm/postgres-js/migrator');
  // Several instances starting together must not apply the same migration twice. The
  // advisory lock is held on a reserved connection while the migrator uses another one
  // from the pool (hence a pool of at least two).
  const lockConnection = await db.$client.reserve();
  try {
    await lockConnection`select pg_advisory_lock(${ADVISORY_LOCKS.migrations})`;
    await migrate(db, { migrationsFolder: MIGRATIONS_FOLDER });
  } finally {
    await lockConnection`select pg_advisory_unlock(${ADVISORY_LOCKS.migrations})`;
    lockConnection.release();
  }
}
