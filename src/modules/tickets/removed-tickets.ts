import { sql } from 'drizzle-orm';
import { ADVISORY_LOCKS } from '../../db/advisory-locks';
import type { Db } from '../../db/database';
import { jsonParam, rowsOf } from '../../db/json-param';

export type TicketKey = { source: string; externalId: string };

/**
 * Which of the tickets the source removed (`removeTicket`): an event about them stores
 * nothing. Keys come back as `source NUL external_id`. Holds each ticket's lock to the end of
 * the transaction: a removal committed between this read and the caller's write would
 * otherwise be missed, and the ticket stored after it.
 */
export async function removedKeys(db: Db, keys: TicketKey[]): Promise<Set<string>> {
  if (keys.length === 0) return new Set();
  await lockRemovableTickets(db, keys);
  const wanted = keys.map((k) => ({ source: k.source, external_id: k.externalId }));
  const rows = rowsOf<{ source: string; external_id: string }>(
    await db.execute(sql`
      select r.source, r.external_id
      from removed_tickets r
      join jsonb_to_recordset(${jsonParam(wanted)}) as k(source text, external_id text)
        on r.source = k.source and r.external_id = k.external_id
      for key share of r`),
  );
  return new Set(rows.map((r) => `${r.source}\u0000${r.external_id}`));
}

/** Takes the tickets' removal locks, in one order so that two batches cannot deadlock. */
export async function lockRemovableTickets(tx: Db, keys: TicketKey[]): Promise<void> {
  const wanted = keys.map((k) => ({ source: k.source, external_id: k.externalId }));
  await tx.execute(sql`
    select pg_advisory_xact_lock(${ADVISORY_LOCKS.removableTickets}, key)
    from (
      select distinct hashtext(source || ' ' || external_id) as key
      from jsonb_to_recordset(${jsonParam(wanted)}) as k(source text, external_id text)
      order by 1
    ) keys`);
}
