import postgres from 'postgres';
import { migrateDatabase, migrationsFingerprint } from '../../src/db/migrate';
import { openPglite, snapshotPglite } from '../../src/db/pglite';
import { openPostgres } from '../../src/db/postgres';

export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/** Creates (once per migrations fingerprint) a migrated Postgres database to clone from. */
export async function preparePostgresTemplate(adminUrl: string): Promise<string> {
  const template = `forestall_template_${migrationsFingerprint()}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    const [existing] = await admin`select 1 from pg_database where datname = ${template}`;
    if (existing) {
      await markUsed(admin, template);
      return template;
    }
    const building = `${template}_building_${process.pid}`;
    await admin.unsafe(`create database "${building}"`);
    const database = openPostgres(withDatabase(adminUrl, building), { poolMax: 2 });
    try {
      await migrateDatabase(database);
    } finally {
      await database.close();
    }
    // Renaming a finished build into place means no run ever clones a half-migrated template.
    await admin.unsafe(`alter database "${building}" rename to "${template}"`);
    await markUsed(admin, template);
    return template;
  } finally {
    await admin.end();
  }
}

// Another checkout (a CI clone at another commit) may be cloning its template right now.
const TEMPLATE_KEPT_MS = 6 * 60 * 60 * 1000;

/** Records when a template was last used, so runs at other commits leave it alone a while. */
async function markUsed(admin: postgres.Sql, template: string) {
  await admin.unsafe(`comment on database "${template}" is 'used ${Date.now()}'`);
}

/**
 * Removes what interrupted runs and older migrations left behind: test and Workers-test
 * databases whose run has ended, and templates of other migration fingerprints unused for six
 * hours. Ones still in use are kept.
 */
export async function dropStaleTestDatabases(adminUrl: string): Promise<void> {
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  const current = `forestall_template_${migrationsFingerprint()}`;
  try {
    const candidates = await admin<{ datname: string; note: string | null }[]>`
      select datname, shobj_description(oid, 'pg_database') as note from pg_database
      where (datname like 'forestall\\_test\\_%' or datname like 'forestall\\_workers\\_%'
             or datname like 'forestall\\_template\\_%')
        and datname <> ${current}`;
    const stale = candidates.filter(({ datname, note }) => {
      if (!datname.startsWith('forestall_template_')) return !ownerAlive(datname);
      const usedAt = Number(note?.match(/^used (\d+)$/)?.[1] ?? 0);
      return Date.now() - usedAt > TEMPLATE_KEPT_MS;
    });
    for (const { datname } of stale) {
      await admin.unsafe(`drop database if exists "${datname}"`).catch(() => {});
    }
  } finally {
    await admin.end();
  }
}

/**
 * Whether the test process that named a database (`forestall_test_<pid>_…`,
 * `forestall_workers_<pid>`) still runs: another run's database is left alone even between its
 * connections (a child process started on it has not connected yet), or a second run on the
 * same machine drops it under the first.
 */
function ownerAlive(datname: string): boolean {
  const pid = Number(/^forestall_(?:test|workers)_(\d+)/.exec(datname)?.[1]);
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Migrates a PGlite database once and returns it as a tarball that each test file loads. */
export async function preparePgliteSnapshot(): Promise<Uint8Array> {
  const database = await openPglite({ kind: 'memory' });
  try {
    await migrateDatabase(database);
    return new Uint8Array(await (await snapshotPglite(database)).arrayBuffer());
  } finally {
    await database.close();
  }
}
