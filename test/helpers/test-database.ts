import { readFile } from 'node:fs/promises';
import postgres from 'postgres';
import { inject } from 'vitest';
import type { Database } from '../../src/db/database';
import { openPglite } from '../../src/db/pglite';
import { openPostgres } from '../../src/db/postgres';
import { withDatabase } from './template-databases';

/**
 * A fresh, migrated database of its own for the caller: a Postgres clone of the template
 * when TEST_DATABASE_URL is set, otherwise a PGlite loaded from the migrated snapshot.
 */
export type TestDatabase = Database & {
  /** Another handle on the same database, as a second instance of forestall would have. */
  openAnother(): Promise<Database>;
  /** The Postgres URL another process can open; undefined for the in-process PGlite. */
  url: string | undefined;
};

export async function createTestDatabase(): Promise<TestDatabase> {
  const template = inject('postgresTemplate');
  const adminUrl = process.env.TEST_DATABASE_URL;
  if (template && adminUrl) return clonePostgresTemplate(adminUrl, template);
  const snapshotPath = inject('pgliteSnapshotPath');
  if (!snapshotPath) throw new Error('global setup provided no test database');
  const snapshot = new Blob([await readFile(snapshotPath)]);
  const database = await openPglite({ kind: 'snapshot', snapshot });
  // PGlite is embedded in one process: a second instance shares the same handle.
  return {
    ...database,
    url: undefined,
    openAnother: async () => ({ ...database, close: async () => {} }),
  };
}

async function clonePostgresTemplate(adminUrl: string, template: string): Promise<TestDatabase> {
  const name = `forestall_test_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create database "${name}" template "${template}"`);
  } finally {
    await admin.end();
  }
  const url = withDatabase(adminUrl, name);
  const database = openPostgres(url, { poolMax: 4 });
  return {
    ...database,
    url,
    openAnother: async () => openPostgres(url, { poolMax: 2 }),
    async close() {
      await database.close();
      const dropper = postgres(adminUrl, { max: 1, onnotice: () => {} });
      try {
        await dropper.unsafe(`drop database if exists "${name}" with (force)`);
      } finally {
        await dropper.end();
      }
    },
  };
}
