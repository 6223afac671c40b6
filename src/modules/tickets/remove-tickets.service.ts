import { sql } from 'drizzle-orm';
import type { Db } from '../../db/database';
import { rowsOf } from '../../db/json-param';
import { retryingTransaction } from '../../db/retry-transaction';
import type { Deps } from '../../deps';
import { applyRollupDeltas } from '../reasons/reason-weeks-rollup';
import { queueRecontactWork } from '../recontacts/recontact-work';
import { settleAfterIngest } from './ingest.service';
import { lockRemovableTickets, type TicketKey } from './removed-tickets';
import { isOlder } from './ticket-time';

/** Why the source took a ticket back as a contact. */
export type Removal = 'deleted' | 'spam' | 'merged';

/**
 * Takes a ticket out of the contacts, once: its row goes (every count, rate and re-contact
 * flag then leaves it out, as for a ticket never sent), the rollups lose it and its
 * account's re-contact flags are re-derived, and a `removed_tickets` row keeps a retry of
 * the removal, or a late event about the ticket, from counting it again. A removal older
 * than the ticket's latest event (a retry arriving after it was restored) changes nothing.
 * Answers whether it was removed now (false: a duplicate).
 */
export async function removeTicket(
  deps: Deps,
  key: TicketKey,
  why: Removal,
  sourceUpdatedAt: string | null,
): Promise<boolean> {
  const removed = await retryingTransaction(deps.db, async (tx) => {
    await lockRemovableTickets(tx, [key]);
    const stored = await lockTicket(tx, key);
    if (stored && isOlder(sourceUpdatedAt, stored.source_updated_at)) return false;
    const recorded = rowsOf(
      await tx.execute(sql`
        insert into removed_tickets (source, external_id, why, source_updated_at)
        values (${key.source}, ${key.externalId}, ${why}, ${sourceUpdatedAt})
        on conflict (source, external_id) do nothing
        returning 1`),
    );
    if (recorded.length === 0) return false;
    if (!stored) return true;
    await tx.execute(
      sql`delete from tickets where source = ${key.source} and external_id = ${key.externalId}`,
    );
    const created_at = new Date(stored.created_at).toISOString();
    await applyRollupDeltas(
      tx,
      [{ reason_slug: stored.reason_slug, created_at, delta: -1 }],
      deps.config.workspaceTimeZone,
    );
    if (stored.account_id) {
      await queueRecontactWork(tx, [
        { account_id: stored.account_id, reason_slug: stored.reason_slug, created_at },
      ]);
    }
    return true;
  });
  if (removed) settleAfterIngest(deps);
  return removed;
}

/**
 * Lets a removed ticket be stored again (the source restored it), unless it was removed
 * after the event that restores it.
 */
export async function forgetRemoval(
  deps: Deps,
  key: TicketKey,
  sourceUpdatedAt: string | null,
): Promise<void> {
  await deps.db.execute(sql`
    delete from removed_tickets
    where source = ${key.source} and external_id = ${key.externalId}
      and not coalesce(source_updated_at > ${sourceUpdatedAt}::timestamptz, false)`);
}

async function lockTicket(tx: Db, key: TicketKey) {
  const [row] = rowsOf<{
    reason_slug: string;
    account_id: string | null;
    created_at: string | Date;
    source_updated_at: string | Date | null;
  }>(
    await tx.execute(sql`
      select reason_slug, account_id, created_at, source_updated_at
      from tickets
      where source = ${key.source} and external_id = ${key.externalId}
      for update`),
  );
  return (
    row && {
      ...row,
      source_updated_at: row.source_updated_at && new Date(row.source_updated_at).toISOString(),
    }
  );
}
