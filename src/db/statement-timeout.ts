import { sql } from 'drizzle-orm';
import type { Db } from './database';

/**
 * Runs `work` in a transaction whose statements Postgres cancels past `ms`: for reads a caller
 * can do without (a warning, an estimate), so they cannot hold the database for the minute the
 * connection's own timeout allows.
 */
export function withinStatementTimeout<T>(
  db: Db,
  ms: number,
  work: (tx: Db) => Promise<T>,
): Promise<T> {
  return db.transaction(async (tx) => {
    await setStatementTimeout(tx, ms);
    return work(tx);
  });
}

/** Postgres cancels each later statement of the caller's transaction that runs past `ms`. */
export async function setStatementTimeout(tx: Db, ms: number): Promise<void> {
  await tx.execute(sql`select set_config('statement_timeout', ${`${ms}ms`}, true)`);
}
