import { sql } from 'drizzle-orm';
import { ADVISORY_LOCKS } from '../../db/advisory-locks';
import type { Db } from '../../db/database';
import { jsonParam, rowsOf } from '../../db/json-param';
import { type ContactPoint, contactsAt, contactsOfTickets, refreshRecontacts } from './recontacts';

/**
 * Makes the caller's transaction the only one writing re-contact flags until it ends, so two
 * refreshes never write flags computed from different snapshots.
 */
export async function lockRecontactFlags(tx: Db): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(${ADVISORY_LOCKS.recontactFlags})`);
}

/** Queues contact points for `settleRecontacts`, inside the caller's transaction. */
export async function queueRecontactWork(tx: Db, points: ContactPoint[]): Promise<void> {
  if (points.length === 0) return;
  await tx.execute(sql`insert into recontact_work (points) values (${jsonParam(points)})`);
}

/**
 * Re-derives the re-contact flags that queued ingests touched, oldest first, until the queue
 * is empty. One transaction writes flags at a time (`lockRecontactFlags`); a caller that has
 * to read settled flags waits for the one running. Each item is taken and applied in one
 * transaction: a crash leaves it queued.
 */
export async function settleRecontacts(db: Db): Promise<void> {
  for (;;) {
    const settledOne = await db.transaction(async (tx) => {
      await lockRecontactFlags(tx);
      const [item] = rowsOf<{
        points: ContactPoint[] | null;
        first_ticket_id: string | number | null;
        last_ticket_id: string | number | null;
      }>(
        await tx.execute(sql`
          delete from recontact_work
          where id = (select id from recontact_work order by id limit 1)
          returning points, first_ticket_id, last_ticket_id`),
      );
      if (!item) return false;
      await refreshRecontacts(
        tx,
        item.points
          ? contactsAt(item.points)
          : contactsOfTickets(Number(item.first_ticket_id), Number(item.last_ticket_id)),
      );
      return true;
    });
    if (!settledOne) return;
  }
}

const running = new WeakMap<Db, { again: boolean; done: Promise<void> }>();

/**
 * Settles in the background, once per process at a time: a call while a settle runs makes it
 * look at the queue once more instead of starting another (which would wait on the lock,
 * holding a connection).
 */
export function settleRecontactsInBackground(db: Db, onError: (error: unknown) => void) {
  const current = running.get(db);
  if (current) {
    current.again = true;
    return current.done;
  }
  const state = { again: false, done: Promise.resolve() };
  state.done = (async () => {
    try {
      do {
        state.again = false;
        await settleRecontacts(db);
      } while (state.again);
    } catch (error) {
      onError(error);
    } finally {
      running.delete(db);
    }
  })();
  running.set(db, state);
  return state.done;
}
