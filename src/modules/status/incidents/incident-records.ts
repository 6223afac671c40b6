import { and, eq } from 'drizzle-orm';
import { v7 as uuidv7 } from 'uuid';
import type { Db } from '../../../db/database';
import { retryingTransaction } from '../../../db/retry-transaction';
import { type AffectedComponent, incidents, incidentUpdates } from '../../../db/schema';
import type { Deps } from '../../../deps';
import { AppError, notFound } from '../../../http/app-error';
import { queueStatusUpdateEmails } from '../subscribers/status-subscriptions.service';
import { queueStatusWebhooks } from '../subscribers/status-webhooks.service';

/** Runs one change in a retried transaction; banners may have changed, so notices re-read. */
export async function changeStatus<T>(deps: Deps, change: (tx: Db) => Promise<T>): Promise<T> {
  const result = await retryingTransaction(deps.db, change);
  deps.notices.catalog.invalidate();
  return result;
}

export const invalidInput = (path: string, message: string) =>
  new AppError('validation_failed', 'The request is not valid; nothing was saved.', [
    { location: 'body', path, message },
  ]);

/** A reopening (`only: 'reopen'`) of one already open again, by another hand meanwhile. */
export const openAlready = () =>
  new AppError('conflict', 'It is open already; nothing was posted.');

export async function lockIncident(db: Db, id: string, kind: 'incident' | 'maintenance') {
  const [row] = await db
    .select()
    .from(incidents)
    .where(and(eq(incidents.id, id), eq(incidents.kind, kind)))
    .for('update');
  if (!row) throw notFound(`${kind === 'incident' ? 'Incident' : 'Maintenance'} ${id}`);
  return row;
}

/** Records an update dated `at` and queues what subscribers and webhooks are owed for it. */
export async function addUpdate(
  db: Db,
  incidentId: string,
  status: string,
  body: string,
  affected: AffectedComponent[],
  at: Date,
  now = at,
) {
  const id = uuidv7();
  await db.insert(incidentUpdates).values({
    id,
    incidentId,
    status,
    body,
    affectedComponents: affected,
    createdAt: at,
  });
  await queueStatusUpdateEmails(db, id, now);
  await queueStatusWebhooks(db, id, now);
}
