import { sql } from 'drizzle-orm';
import { ADVISORY_LOCKS } from '../../db/advisory-locks';
import type { Db } from '../../db/database';
import { postgresCode } from '../../db/retry-transaction';
import { AppError } from '../../http/app-error';

/** How long an alias change waits for the ticket and calendar writes in flight. */
const ALIAS_CHANGE_WAIT_MS = 5_000;

const LOCK_NOT_AVAILABLE = '55P03';

/**
 * Taken (shared) by a transaction that maps reason names to slugs and stores them: tickets,
 * an event's affected reasons, a campaign's targets. An alias change moves what is stored
 * under the names it aliases, but cannot see rows another transaction has not committed, so
 * the two must not overlap: until the caller's transaction ends, aliases stay as it read them.
 */
export async function holdAliasesSteady(tx: Db): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock_shared(${ADVISORY_LOCKS.reasonAliases})`);
}

/**
 * Makes the caller's transaction the only one that may map names until it ends, after the
 * writes in flight (see `holdAliasesSteady`) commit. A long import can hold them for minutes:
 * past `ALIAS_CHANGE_WAIT_MS` the change is refused with a 503 to retry, rather than left
 * waiting with every ticket write queued behind it.
 */
export async function lockAliases(tx: Db): Promise<void> {
  await tx.execute(sql`select set_config('lock_timeout', ${`${ALIAS_CHANGE_WAIT_MS}ms`}, true)`);
  try {
    await tx.execute(sql`select pg_advisory_xact_lock(${ADVISORY_LOCKS.reasonAliases})`);
  } catch (error) {
    if (postgresCode(error) !== LOCK_NOT_AVAILABLE) throw error;
    throw new AppError(
      'unavailable',
      'Tickets or calendar changes are being written (an import may be running); aliases can ' +
        'change once they are stored. Try again shortly.',
      undefined,
      5,
    );
  }
  await tx.execute(sql`select set_config('lock_timeout', '0', true)`);
}
