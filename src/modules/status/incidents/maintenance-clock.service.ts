import { eq, sql } from 'drizzle-orm';
import type { Db } from '../../../db/database';
import { retryingTransaction } from '../../../db/retry-transaction';
import { type IncidentRow, incidents } from '../../../db/schema';
import type { Deps } from '../../../deps';
import { stopCampaign } from '../../campaigns/campaigns.service';
import { automaticTransitions } from '../status-clock';
import { addUpdate, lockIncident } from './incident-records';

const CLOCK_ACTOR = 'status page clock';

/**
 * Records what the clock did to maintenance windows with `auto_transition` (in progress at
 * `scheduled_for`, completed at `scheduled_until`) as updates of their own, dated when they
 * happened, so subscribers and webhooks hear of them as of any update ops post. Each window is
 * locked and re-read, so two instances never record one transition twice.
 */
export async function recordMaintenanceTransitions(deps: Deps): Promise<number> {
  const now = deps.clock.now();
  const due = await deps.db
    .select({ id: incidents.id })
    .from(incidents)
    .where(
      sql`${incidents.kind} = 'maintenance' and ${incidents.autoTransition}
        and ${incidents.status} <> 'completed'
        and (${incidents.scheduledUntil} <= ${now.toISOString()}::timestamptz
          or (${incidents.status} = 'scheduled'
            and ${incidents.scheduledFor} <= ${now.toISOString()}::timestamptz))`,
    );
  let recorded = 0;
  for (const { id } of due) {
    recorded += await retryingTransaction(deps.db, async (tx) => {
      const maintenance = await lockIncident(tx, id, 'maintenance');
      const transitions = await recordClockTransitions(tx, maintenance, now);
      if (transitions.at(-1)?.status === 'completed' && maintenance.campaignId) {
        await stopCampaign(deps, maintenance.campaignId, CLOCK_ACTOR, tx);
      }
      return transitions.length;
    });
  }
  if (recorded > 0) deps.notices.catalog.invalidate();
  return recorded;
}

/**
 * Records what the clock did to a locked maintenance and has not been recorded yet, and stores
 * the status it reached: before ops post an update of their own, so the start the clock gave
 * the window stays in its history (and its uptime) once the stored status moves on.
 */
export async function recordClockTransitions(tx: Db, maintenance: IncidentRow, now: Date) {
  const transitions = automaticTransitions(maintenance, now);
  const last = transitions.at(-1);
  if (!last) return transitions;
  for (const transition of transitions) {
    await addUpdate(tx, maintenance.id, transition.status, transition.body, [], transition.at, now);
  }
  const completed = last.status === 'completed';
  await tx
    .update(incidents)
    .set({ status: last.status, updatedAt: now, ...(completed ? { resolvedAt: last.at } : {}) })
    .where(eq(incidents.id, maintenance.id));
  return transitions;
}
