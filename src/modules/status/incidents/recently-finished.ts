import { and, asc, desc, eq, gte, lte, or, sql } from 'drizzle-orm';
import { type IncidentRow, incidents } from '../../../db/schema';
import type { Deps } from '../../../deps';
import { notFound } from '../../../http/app-error';
import { isUuid } from '../../../lib/is-uuid';
import { incidentStatusAt } from '../status-clock';

/** A resolved incident or a completed maintenance, as the console offers it to reopen. */
export type FinishedItem = {
  id: string;
  name: string;
  kind: 'incident' | 'maintenance';
  status: string;
  impact: string;
  finishedAt: Date;
  /** What its reopen form is posted over (`If-Match`'s version). */
  version: number;
};

/**
 * Incidents resolved and maintenance completed since `since`, the latest finished first: at
 * most `atMost` of them, and whether there are more. Read by when each finished, not among the
 * newest opened, so that a busy week hides none of them. A maintenance the clock completed
 * finished when its window ended, as the public page says, even before the clock's job has
 * recorded it.
 */
export async function finishedSince(
  deps: Deps,
  since: Date,
  atMost: number,
): Promise<{ items: FinishedItem[]; more: boolean }> {
  const now = deps.clock.now();
  const finishedAt = sql`coalesce(${incidents.resolvedAt}, ${incidents.scheduledUntil})`;
  const rows = await deps.db
    .select()
    .from(incidents)
    .where(
      or(
        and(
          eq(incidents.kind, 'incident'),
          eq(incidents.status, 'resolved'),
          gte(incidents.resolvedAt, since),
        ),
        and(
          eq(incidents.kind, 'maintenance'),
          or(
            eq(incidents.status, 'completed'),
            and(eq(incidents.autoTransition, true), lte(incidents.scheduledUntil, now)),
          ),
          gte(finishedAt, since.toISOString()),
        ),
      ),
    )
    .orderBy(desc(finishedAt), asc(incidents.id))
    .limit(atMost + 1);
  const items = rows.slice(0, atMost).map((row) => asItem(row, now));
  return { items, more: rows.length > atMost };
}

const asItem = (row: IncidentRow, now: Date): FinishedItem => ({
  id: row.id,
  name: row.name,
  kind: row.kind,
  status: incidentStatusAt(row, now),
  impact: row.impact,
  finishedAt: row.resolvedAt ?? row.scheduledUntil ?? now,
  version: row.version,
});

/**
 * One incident or maintenance as `finishedSince` gives it, however long ago it finished, or
 * `finished: false` when it is open (again). A mistyped or unknown id is not found.
 */
export async function finishedItem(
  deps: Deps,
  kind: FinishedItem['kind'],
  id: string,
): Promise<{ item: FinishedItem; finished: boolean }> {
  const [row] = isUuid(id)
    ? await deps.db
        .select()
        .from(incidents)
        .where(and(eq(incidents.id, id), eq(incidents.kind, kind)))
    : [];
  if (!row) throw notFound(`${kind === 'incident' ? 'Incident' : 'Maintenance'} ${id}`);
  const item = asItem(row, deps.clock.now());
  return { item, finished: item.status === 'resolved' || item.status === 'completed' };
}
