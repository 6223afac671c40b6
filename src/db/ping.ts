import { sql } from 'drizzle-orm';
import type { Db } from './database';

/** One round-trip to the database, failing after `timeoutMs` instead of hanging. */
export async function pingDatabase(db: Db, timeoutMs: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([db.execute(sql`select 1`), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
