import postgres from 'postgres';
import type { Database } from '../../src/db/database';
import { migrateDatabase } from '../../src/db/migrate';
import { openPostgres } from '../../src/db/postgres';
import { withDatabase } from '../helpers/template-databases';

export const BENCH_ADMIN_URL =
  process.env.BENCH_DATABASE_URL ??
  process.env.TEST_DATABASE_URL ??
  'postgres://postgres@127.0.0.1:5432/postgres';

/**
 * The database bench:notices seeds for a seed and an account count, which
 * bench:notices-memory reads again: another seed or size seeds its own.
 */
export const noticesBenchDatabase = (seed: number, accounts: number) =>
  `forestall_bench_notices_s${seed}${accounts === 100_000 ? '' : `_a${accounts}`}`;

/** A fresh, migrated Postgres database for one benchmark measurement. */
export async function freshBenchDatabase(name: string): Promise<Database & { url: string }> {
  const admin = postgres(BENCH_ADMIN_URL, { max: 1, onnotice: () => {} });
  await admin.unsafe(`drop database if exists "${name}" with (force)`);
  await admin.unsafe(`create database "${name}"`);
  await admin.end();
  const url = withDatabase(BENCH_ADMIN_URL, name);
  const database = openPostgres(url, { poolMax: 4 });
  await migrateDatabase(database);
  return { ...database, url };
}

/** The database `name` if an earlier run kept it, migrated to the current schema. */
export async function keptBenchDatabase(name: string) {
  const admin = postgres(BENCH_ADMIN_URL, { max: 1, onnotice: () => {} });
  const [exists] = await admin`select 1 from pg_database where datname = ${name}`;
  await admin.end();
  if (!exists) return null;
  const url = withDatabase(BENCH_ADMIN_URL, name);
  const database = openPostgres(url, { poolMax: 4 });
  await migrateDatabase(database);
  return { ...database, url };
}

export async function dropBenchDatabase(name: string): Promise<void> {
  const admin = postgres(BENCH_ADMIN_URL, { max: 1, onnotice: () => {} });
  await admin.unsafe(`drop database if exists "${name}" with (force)`);
  await admin.end();
}
