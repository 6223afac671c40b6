import { and, eq, exists, inArray, sql } from 'drizzle-orm';
import { v7 as uuidv7 } from 'uuid';
import { jsonParam, rowsOf } from '../../db/json-param';
import { retryingTransaction } from '../../db/retry-transaction';
import { campaigns, type EventKind, events } from '../../db/schema';
import type { Deps } from '../../deps';
import type { FieldError } from '../../http/app-error';
import type { Actor } from '../campaigns/campaigns.service';
import { changeEventsFollowed } from '../campaigns/linked-event.service';
import { countVevents, refuseOverLimits } from './ics-feed';

export type IcsImport = { kind: EventKind; lead_days: number; lag_days: number };
export type IcsImportResult = { imported: number; updated: number; skipped: FieldError[] };

/**
 * Adds the events of an iCalendar feed (see `readIcsFeed`), keyed by UID: importing the feed
 * again updates them instead of adding copies, and campaigns linked to an event it moves
 * re-plan their queued emails. The feed is read on a compute thread; a feed
 * with too many VEVENTs is refused before that, from a scan of its text.
 */
export async function importIcs(
  deps: Deps,
  text: string,
  options: IcsImport,
  actor: Actor,
): Promise<IcsImportResult> {
  refuseOverLimits(countVevents(text));
  const { rows, skipped } = await deps.compute('icsFeed', {
    text,
    workspaceZone: deps.config.workspaceTimeZone,
  });
  if (rows.length === 0) return { imported: 0, updated: 0, skipped };
  const now = deps.clock.now().toISOString();
  const stored = rows.map((row) => ({ ...row, id: uuidv7() }));
  const result = await retryingTransaction(deps.db, (tx) =>
    // Events of this feed that campaigns link to are locked as an edit locks one: their
    // queued emails follow a move, as they do after PUT /v1/events/{id}.
    changeEventsFollowed(
      deps,
      tx,
      and(
        eq(events.origin, 'ics'),
        inArray(
          events.originId,
          stored.map((row) => row.origin_id),
        ),
        exists(tx.select({ one: sql`1` }).from(campaigns).where(eq(campaigns.eventId, events.id))),
      ),
      async () =>
        rowsOf<{ inserted: boolean }>(
          await tx.execute(sql`
            insert into events (id, kind, title, starts_at, ends_at, rrule, time_zone,
                                excluded_starts, extra_starts, lead_days, lag_days, origin,
                                origin_id, created_at, updated_at)
            select id::uuid, ${options.kind}, title, starts_at, ends_at, rrule, time_zone,
                   excluded_starts, extra_starts, ${options.lead_days}, ${options.lag_days},
                   'ics', origin_id, ${now}::timestamptz, ${now}::timestamptz
            from jsonb_to_recordset(${jsonParam(stored)})
              as e(id text, title text, starts_at timestamptz, ends_at timestamptz, rrule text,
                   time_zone text, excluded_starts jsonb, extra_starts jsonb, origin_id text)
            on conflict (origin, origin_id) do update
              set kind = excluded.kind, title = excluded.title, starts_at = excluded.starts_at,
                  ends_at = excluded.ends_at, rrule = excluded.rrule,
                  time_zone = excluded.time_zone, excluded_starts = excluded.excluded_starts,
                  extra_starts = excluded.extra_starts, lead_days = excluded.lead_days,
                  lag_days = excluded.lag_days, updated_at = excluded.updated_at
            returning (xmax = 0) as inserted`),
        ),
      actor,
    ),
  );
  deps.afterDetectionInputChange(deps);
  const imported = result.filter((row) => row.inserted).length;
  return { imported, updated: result.length - imported, skipped };
}
