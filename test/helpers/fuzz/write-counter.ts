import { sql } from 'drizzle-orm';
import type { Db } from '../../../src/db/database';
import { rowsOf } from '../../../src/db/json-param';

// Bookkeeping a refused request may rightly touch: the stored answer of an Idempotency-Key
// (a 4xx is replayed too), a key's last use, the notices exposure log and change feed, runs.
const BOOKKEEPING = ['idempotency_keys', 'api_keys', 'exposure_log', 'account_changes', 'job_runs'];

/**
 * Counts row changes in every other table of the app, in the writing transaction itself (a
 * rolled-back write counts nothing), so "a 4xx changes nothing" is one cheap read per request.
 */
export async function installWriteCounter(db: Db): Promise<() => Promise<number>> {
  await db.execute(sql`create table fuzz_writes (n bigint not null)`);
  await db.execute(sql`insert into fuzz_writes values (0)`);
  await db.execute(sql`
    create function fuzz_count_write() returns trigger language plpgsql as $$
    begin
      update fuzz_writes set n = n + 1;
      return null;
    end $$`);
  const tables = rowsOf<{ name: string }>(
    await db.execute(sql`
      select table_name as name from information_schema.tables
      where table_schema = 'public' and table_type = 'BASE TABLE' and table_name <> 'fuzz_writes'`),
  ).filter((table) => !BOOKKEEPING.includes(table.name));
  for (const { name } of tables) {
    await db.execute(
      sql.raw(`create trigger fuzz_count_write after insert or update or delete on "${name}"
               for each row execute function fuzz_count_write()`),
    );
  }
  return async () => {
    const [row] = rowsOf<{ n: string | number }>(await db.execute(sql`select n from fuzz_writes`));
    return Number(row?.n ?? 0);
  };
}
