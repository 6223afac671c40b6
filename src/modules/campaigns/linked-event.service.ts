import { and, asc, eq, exists, inArray, type SQL, sql } from 'drizzle-orm';
import type { Db } from '../../db/database';
import { rowsOf } from '../../db/json-param';
import {
  type CampaignRow,
  campaigns,
  type EventRow,
  emailDeliveries,
  events,
} from '../../db/schema';
import type { Deps } from '../../deps';
import { AppError, type FieldError } from '../../http/app-error';
import { campaignStatus, publishedCampaign, runsPast } from './campaign-status';
import { type Actor, audit, diff } from './campaigns.service';

/** What a campaign's queued emails take from its linked event: when they go, what they name. */
type QueuedPlan = {
  count: number;
  event_at: string | null;
  first_send_at: string | null;
  last_send_at: string | null;
};

/**
 * Changes events with the campaigns linked to them following (in the caller's transaction):
 * the events `which` selects are locked first, FOR UPDATE, stronger than a change's own lock,
 * so a campaign linking to one waits for the change to commit and none is planned on the event
 * as it was, unseen here; then `change` runs with them (earliest id first); then each locked
 * event still there has its linked campaigns follow it (see `followLinkedEventChange`). An edit
 * and an .ics import change events this one way.
 */
export async function changeEventsFollowed<T>(
  deps: Deps,
  tx: Db,
  which: SQL | undefined,
  change: (locked: EventRow[]) => Promise<T>,
  actor: Actor,
): Promise<T> {
  const locked = await tx.select().from(events).where(which).orderBy(asc(events.id)).for('update');
  const result = await change(locked);
  if (locked.length === 0) return result;
  const ids = locked.map((event) => event.id);
  const after = new Map(
    (await tx.select().from(events).where(inArray(events.id, ids))).map((e) => [e.id, e]),
  );
  for (const before of locked) {
    const changed = after.get(before.id);
    if (changed) await followLinkedEventChange(deps, tx, { before, after: changed }, actor);
  }
  return result;
}

/**
 * After a linked event changed (in its transaction): the queued emails of each campaign still
 * to run or running are planned again, as a change to the campaign plans them, and each
 * campaign whose plan moved says so in its audit trail. Sent emails stay as they were sent.
 * Only the emails follow the event: a campaign's own window (`starts_at`, `ends_at`) is set
 * apart from it.
 */
async function followLinkedEventChange(
  deps: Deps,
  tx: Db,
  change: { before: EventRow; after: EventRow },
  actor: Actor,
): Promise<void> {
  const now = deps.clock.now();
  const queued = tx
    .select({ one: sql`1` })
    .from(emailDeliveries)
    .where(and(eq(emailDeliveries.campaignId, campaigns.id), eq(emailDeliveries.status, 'queued')));
  const following = await tx
    .select()
    .from(campaigns)
    .where(
      and(eq(campaigns.eventId, change.after.id), publishedCampaign, runsPast(now), exists(queued)),
    )
    .orderBy(asc(campaigns.id))
    .for('update');
  for (const campaign of following) {
    const planned = await queuedPlan(tx, campaign.id);
    await replan(deps, tx, campaign);
    const replanned = await queuedPlan(tx, campaign.id);
    if (sameTiming(planned, replanned)) continue;
    const changes = diff(
      { event: timing(change.before), queued_emails: planned },
      { event: timing(change.after), queued_emails: replanned },
    );
    await audit(tx, campaign.id, now, actor, 'event_moved', changes);
  }
}

async function replan(deps: Deps, tx: Db, campaign: CampaignRow): Promise<void> {
  try {
    await deps.afterCampaignChange(deps, tx, campaign, campaign);
  } catch (error) {
    // Planning refuses emails timed by an event with no occurrence left: here that is this
    // change's doing, a conflict with the campaign rather than a bad field of it.
    if (!(error instanceof AppError) || error.code !== 'validation_failed') throw error;
    throw new AppError(
      'conflict',
      `Campaign "${campaign.title}" (${campaign.id}) times its queued emails by this event's ` +
        'next occurrence, and after this change there is none; end or cancel the campaign, ' +
        'or link it to another event, first. Nothing was saved.',
    );
  }
}

async function queuedPlan(tx: Db, campaignId: string): Promise<QueuedPlan> {
  const [plan] = rowsOf<{
    count: number;
    event_at: Date | string | null;
    first_send_at: Date | string | null;
    last_send_at: Date | string | null;
  }>(
    await tx.execute(sql`
      select count(*)::int as count, max(event_at) as event_at,
             min(scheduled_for) as first_send_at, max(scheduled_for) as last_send_at
      from email_deliveries where campaign_id = ${campaignId} and status = 'queued'`),
  );
  const iso = (value: Date | string | null | undefined) =>
    value == null ? null : new Date(value).toISOString();
  return {
    count: plan?.count ?? 0,
    event_at: iso(plan?.event_at),
    first_send_at: iso(plan?.first_send_at),
    last_send_at: iso(plan?.last_send_at),
  };
}

/** A new count alone is the audience having changed since the last plan, not the event. */
const sameTiming = (a: QueuedPlan, b: QueuedPlan) =>
  a.event_at === b.event_at &&
  a.first_send_at === b.first_send_at &&
  a.last_send_at === b.last_send_at;

const timing = (event: EventRow) => ({
  starts_at: event.startsAt.toISOString(),
  ends_at: event.endsAt.toISOString(),
  rrule: event.rrule,
  time_zone: event.timeZone,
  excluded_starts: event.excludedStarts,
  extra_starts: event.extraStarts,
});

/**
 * Before an event is deleted (in its transaction, the event locked): a campaign that still
 * needs it (scheduled or active, or a draft whose email is timed by it) refuses the delete
 * with 409 naming each, and nothing changes; the others (ended, cancelled, other drafts) are
 * unlinked, each with a new version and an audit entry, where the foreign key alone would
 * have unlinked them without a trace.
 */
export async function releaseLinkedCampaigns(
  deps: Deps,
  tx: Db,
  eventId: string,
  actor: Actor,
): Promise<void> {
  const now = deps.clock.now();
  const linked = await tx
    .select()
    .from(campaigns)
    .where(eq(campaigns.eventId, eventId))
    .orderBy(asc(campaigns.id))
    .for('update');
  const needing = linked.flatMap((campaign) => {
    const why = needsEvent(campaign, now);
    return why ? [{ campaign, why }] : [];
  });
  if (needing.length > 0) {
    const named = needing.map(
      ({ campaign, why }) => `"${campaign.title}" (${campaign.id}, ${why})`,
    );
    throw new AppError(
      'conflict',
      `${needing.length === 1 ? 'A campaign still needs' : `${needing.length} campaigns still need`} ` +
        `this event: ${named.join('; ')}. End or cancel ${needing.length === 1 ? 'it' : 'them'}, ` +
        'or unlink it from the event (event_id: null), first. Nothing was deleted.',
      needing.map(
        ({ campaign, why }): FieldError => ({
          location: 'path',
          path: 'id',
          message: `linked to campaign ${campaign.id} (${why})`,
        }),
      ),
    );
  }
  for (const campaign of linked) {
    const [unlinked] = await tx
      .update(campaigns)
      .set({ eventId: null, updatedAt: now })
      .where(eq(campaigns.id, campaign.id))
      .returning();
    if (!unlinked) throw new Error(`campaign ${campaign.id} vanished while locked`);
    await audit(tx, campaign.id, now, actor, 'event_deleted', {
      event_id: { from: eventId, to: null },
    });
    await deps.afterCampaignChange(deps, tx, unlinked, campaign);
  }
}

function needsEvent(campaign: CampaignRow, now: Date): string | undefined {
  const status = campaignStatus(campaign, now);
  if (status === 'scheduled' || status === 'active') return status;
  // Unlinked, its email would be timed by nothing: the state the API refuses to save.
  if (status === 'draft' && campaign.email?.before_event) {
    return 'a draft whose email is timed by this event';
  }
  return undefined;
}
