import { type SQL, sql } from 'drizzle-orm';
import { v7 as uuidv7 } from 'uuid';
import type { Db } from '../../../db/database';
import { arrayParam, jsonParam, rowsOf } from '../../../db/json-param';
import { type CampaignRow, events } from '../../../db/schema';
import type { Deps } from '../../../deps';
import { AppError } from '../../../http/app-error';
import { byCodePoint } from '../../../lib/code-point-order';
import { type Audience, type AudienceSubject, compileAudience } from '../../campaigns/audience';
import { audienceMembers } from '../../campaigns/audience-members';
import { campaignStatus } from '../../campaigns/campaign-status';
import { isHeldOut } from '../../campaigns/holdout';
import { occurrencesBetween } from '../../events/occurrences';
import { recipientSendTime, referenceSendTime } from './send-time';

const CHUNK = 1_000;
const OCCURRENCE_HORIZON_MS = 2 * 366 * 24 * 60 * 60 * 1000;

export type DeliveryPlan = { queued: number; suppressed: number; held_out_accounts: number };

/** Accounts to plan after they changed, read once for every campaign. */
export type AccountsScope = {
  /**
   * In id order: the changed accounts still there, the others that share an address with
   * them (an address gets one email, from the first of its accounts that wants it), and those
   * `beside` them.
   */
  recipients: Recipient[];
  /**
   * Accounts holding the sharers' other addresses: not planned, only read for the addresses
   * they take, which decide whether a sharer can be reached and so held out.
   */
  beside: Set<string>;
  /**
   * The changed accounts, whose deliveries are planned anew; holdout exposures are planned
   * anew for the others as well, since who holds an address decides who can be held out.
   */
  changed: Set<string>;
  /** The addresses they have or had queued: the others are planned for these alone. */
  addresses: Set<string>;
  /** The changed accounts' queued deliveries when the change began, by campaign. */
  queued: Map<string, { id: string; email: string }[]>;
};

export type Recipient = AudienceSubject & {
  contacts: {
    /** The address lower-cased (`emailKey`), which deliveries and suppressions are keyed by. */
    email: string;
    /** The address as given, which the email goes to. */
    email_as_given: string;
    name: string | null;
    locale: string | null;
    suppressed: boolean;
  }[];
};

/**
 * What follows a campaign change (`Deps.afterCampaignChange`): its email deliveries are
 * planned again, in the transaction that made the change.
 */
export async function followCampaignChange(
  deps: Deps,
  tx: Db,
  campaign: CampaignRow,
  before: CampaignRow | null,
) {
  const now = deps.clock.now();
  if (sendsEmail(campaign, now) && !(before && sendsEmail(before, now))) {
    // An account sync plans the campaigns that sent email when it looked (and waits on their
    // rows); this one only starts to here (published, or given the channel), so it waits for
    // the syncs under way and holds new ones back until it commits, or neither would plan
    // the accounts the other is writing. So with suppressions (which wait on the rows too):
    // one committed while this plan reads the list would not withdraw what it plans.
    await tx.execute(sql`lock table accounts, email_suppressions in share mode`);
  }
  await planDeliveries(deps, tx, campaign);
}

/**
 * Expands a published email campaign's audience into one delivery per recipient address, at
 * each recipient's due time; held-out accounts get a holdout exposure at the time they would
 * have been sent to. Run again after any change: queued deliveries follow the new schedule and
 * audience, those no longer wanted are cancelled (and come back when wanted again, as do
 * suppressed ones once their address is no longer suppressed), and those due by now are left
 * to the sender, as sent ones are: a held-out account's moment that has passed is kept, so a
 * treated email whose moment has passed goes as planned, or the groups would differ by what
 * the sender had not yet reached. With `accounts`, only those accounts are planned (after
 * they changed). Called inside the transaction that made the change.
 */
export async function planDeliveries(
  deps: Deps,
  db: Db,
  campaign: CampaignRow,
  accounts?: AccountsScope,
): Promise<DeliveryPlan> {
  const nothing = { queued: 0, suppressed: 0, held_out_accounts: 0 };
  const now = deps.clock.now();
  if (!sendsEmail(campaign, now) || !campaign.email || !campaign.startsAt) {
    if (!accounts) {
      await cancelQueued(db, campaign.id, now);
      await withdrawHoldoutExposures(db, campaign.id, now);
    }
    return nothing;
  }
  const zone = deps.config.workspaceTimeZone;
  const occurrence = await nextOccurrence(db, campaign, now, zone);
  if (!occurrence && campaign.email.before_event) {
    // The campaign's own change is refused for it; an account's change leaves its plan alone.
    if (accounts) return nothing;
    throw untimedEmail();
  }
  const reference = referenceSendTime(campaign.email, campaign.startsAt, occurrence);
  const planId = uuidv7();
  const rows: (Record<string, unknown> & { email: string })[] = [];
  const heldOut: { account_id: string; first_at: string }[] = [];
  const seen = new Set<string>();
  const audience = campaign.audience as Audience;
  const recipients = accounts
    ? accounts.recipients.filter(compileAudience(audience))
    : await audienceRecipients(db, audience);
  // Everyone in one time zone is due at the same moment; working it out takes tens of µs.
  const dueIn = new Map<string, string>();
  for (const recipient of recipients) {
    const changed = !accounts || accounts.changed.has(recipient.id);
    const reachable = recipient.contacts.some((c) => !c.suppressed && !seen.has(c.email));
    const timeZone = recipient.time_zone ?? deps.config.workspaceTimeZone;
    const due =
      dueIn.get(timeZone) ??
      recipientSendTime(campaign.email, reference, timeZone, now).toISOString();
    dueIn.set(timeZone, due);
    // Measurement compares like with like: only accounts the email could reach are held out.
    // An account that only shares an address is held out as the whole audience's plan would
    // hold it out (it may have just been left the address an account that took it gave up).
    // One due when the campaign has ended would have been sent nothing (the sender cancels it).
    if (reachable && isHeldOut(campaign.id, recipient.id, campaign.holdoutPercent)) {
      if (accounts?.beside.has(recipient.id)) continue;
      if (!campaign.endsAt || new Date(due) < campaign.endsAt) {
        heldOut.push({ account_id: recipient.id, first_at: due });
      }
      continue;
    }
    for (const contact of recipient.contacts) {
      if (seen.has(contact.email)) continue;
      seen.add(contact.email);
      // An account that only shares an address is planned for the shared ones alone; one
      // beside those, for none (it holds none of them).
      if (!changed && !accounts?.addresses.has(contact.email)) continue;
      rows.push({
        id: uuidv7(),
        account_id: recipient.id,
        email: contact.email,
        email_as_given: contact.email_as_given,
        name: contact.name,
        locale: contact.locale ?? recipient.locale,
        time_zone: timeZone,
        status: contact.suppressed ? 'suppressed' : 'queued',
        scheduled_for: due,
        event_at: occurrence?.toISOString() ?? null,
      });
    }
  }
  // Written in address order (by code point, as collate "C" sorts), the order of the key they
  // conflict on, so two syncs whose accounts share addresses, or a sync and the sender
  // recording a batch (lockedBatch), wait for one another rather than deadlock.
  rows.sort((a, b) => byCodePoint(a.email, b.email));
  for (let i = 0; i < rows.length; i += CHUNK) {
    await upsertDeliveries(db, campaign.id, planId, now, rows.slice(i, i + CHUNK));
  }
  if (accounts) {
    const wanted = new Set(rows.map((row) => row.email));
    const dropped = (accounts.queued.get(campaign.id) ?? []).filter((d) => !wanted.has(d.email));
    await cancelDeliveries(
      db,
      now,
      dropped.map((d) => d.id),
      [...accounts.changed],
    );
  } else {
    await db.execute(sql`
      update email_deliveries set status = 'cancelled', updated_at = ${now.toISOString()}
      where campaign_id = ${campaign.id} and status = 'queued' and plan_id <> ${planId}
        and scheduled_for > ${now.toISOString()}`);
  }
  // Held-out accounts mirror the treated ones: the moments still to come of the accounts
  // planned here are withdrawn, as their emails would have been cancelled above, and those
  // still held out are recorded again, as their emails would have been queued again.
  const scope = accounts && [
    ...accounts.changed,
    ...accounts.recipients.flatMap((r) => (accounts.beside.has(r.id) ? [] : [r.id])),
  ];
  await withdrawHoldoutExposures(db, campaign.id, now, scope);
  for (let i = 0; i < heldOut.length; i += CHUNK) {
    await recordHoldoutExposures(db, campaign.id, heldOut.slice(i, i + CHUNK));
  }
  const queued = rows.filter((row) => row.status === 'queued').length;
  return { queued, suppressed: rows.length - queued, held_out_accounts: heldOut.length };
}

/** Whether the campaign sends email at `now`: scheduled or active, with the email channel. */
export function sendsEmail(campaign: CampaignRow, now: Date): boolean {
  const status = campaignStatus(campaign, now);
  return (
    !!campaign.email &&
    campaign.channels.includes('email') &&
    (status === 'scheduled' || status === 'active')
  );
}

/**
 * Cancels these deliveries if they are still queued for one of `accountIds` (a change to an
 * account sharing the address may have taken one over meanwhile) and not yet due.
 */
async function cancelDeliveries(db: Db, now: Date, ids: string[], accountIds: string[]) {
  if (ids.length === 0) return;
  await db.execute(sql`
    update email_deliveries set status = 'cancelled', updated_at = ${now.toISOString()}
    where id = any(${arrayParam(ids, 'uuid')}) and status = 'queued'
      and scheduled_for > ${now.toISOString()} and account_id = any(${arrayParam(accountIds)})`);
}

async function cancelQueued(db: Db, campaignId: string, now: Date): Promise<void> {
  await db.execute(sql`
    update email_deliveries set status = 'cancelled', updated_at = ${now.toISOString()}
    where campaign_id = ${campaignId} and status = 'queued'`);
}

/**
 * The start of the linked event's next occurrence, when the email is timed by it (a recurring
 * event keeps its wall-clock time in `timeZone`, the workspace's), or null when there is none.
 */
export async function nextOccurrence(
  db: Db,
  campaign: CampaignRow,
  now: Date,
  timeZone: string,
): Promise<Date | null> {
  if (!campaign.eventId) return null;
  const [event] = await db.select().from(events).where(sql`${events.id} = ${campaign.eventId}`);
  if (!event) return null;
  // Occurrences are the windows that touch a range; only those ending a duration or more after
  // now start at now or later, so one under way is not the first found (and the only one kept).
  const duration = event.endsAt.getTime() - event.startsAt.getTime();
  const [next] = occurrencesBetween(
    event,
    new Date(now.getTime() + duration - 1),
    new Date(now.getTime() + OCCURRENCE_HORIZON_MS),
    { limit: 1, timeZone },
  );
  return next ? new Date(next.starts_at) : null;
}

/** An email timed by its event when the event has no upcoming occurrence. */
export const untimedEmail = () =>
  new AppError('validation_failed', 'The email cannot be timed by its event.', [
    { location: 'body', path: 'event_id', message: 'the linked event has no upcoming occurrence' },
  ]);

async function audienceRecipients(db: Db, audience: Audience): Promise<Recipient[]> {
  const members = await audienceMembers(db, audience);
  const memberIds = jsonParam(members.map((m) => m.id));
  return withContacts(
    db,
    members,
    sql`c.account_id in (select jsonb_array_elements_text(${memberIds}))`,
  );
}

/** These accounts (those still there), in id order, with their contact addresses. */
export async function recipientsOf(db: Db, ids: string[]): Promise<Recipient[]> {
  const these = arrayParam(ids);
  const accounts = rowsOf<AudienceSubject>(
    await db.execute(sql`
      select id, plan, region, components, locale, time_zone, attributes
      from accounts where id = any(${these}) order by id`),
  );
  return withContacts(db, accounts, sql`c.account_id = any(${these})`);
}

/** Each account with the contacts `whose` selects, and whether each address is suppressed. */
async function withContacts(db: Db, members: AudienceSubject[], whose: SQL): Promise<Recipient[]> {
  const contacts = rowsOf<Recipient['contacts'][number] & { account_id: string }>(
    await db.execute(sql`
      select c.account_id, c.email, coalesce(c.email_as_given, c.email) as email_as_given,
             c.name, c.locale, s.email is not null as suppressed
      from account_contacts c
      left join email_suppressions s on s.email = c.email
      where ${whose}
      order by c.account_id, c.email`),
  );
  const byAccount = new Map<string, typeof contacts>();
  for (const contact of contacts) {
    const list = byAccount.get(contact.account_id);
    if (list) list.push(contact);
    else byAccount.set(contact.account_id, [contact]);
  }
  return members.map((member) => ({ ...member, contacts: byAccount.get(member.id) ?? [] }));
}

async function upsertDeliveries(
  db: Db,
  campaignId: string,
  planId: string,
  now: Date,
  rows: Record<string, unknown>[],
): Promise<void> {
  // A queued email follows the account that wants it now (another with the same address may
  // have left): its plan and time zone are the ones the email uses, its the exposure sent. A
  // suppressed one is planned again too, and queued again if its suppression was lifted.
  await db.execute(sql`
    insert into email_deliveries
      (id, campaign_id, account_id, email, email_as_given, name, locale, time_zone, status,
       scheduled_for, event_at, idempotency_key, plan_id, updated_at)
    select r.id, ${campaignId}, r.account_id, r.email, r.email_as_given, r.name, r.locale,
           r.time_zone, r.status, r.scheduled_for, r.event_at, 'delivery-' || r.id, ${planId},
           ${now.toISOString()}
    from jsonb_to_recordset(${jsonParam(rows)}) as r(
      id uuid, account_id text, email text, email_as_given text, name text, locale text,
      time_zone text, status text, scheduled_for timestamptz, event_at timestamptz)
    on conflict (campaign_id, email) do update
      set account_id = excluded.account_id, status = excluded.status,
          email_as_given = excluded.email_as_given,
          scheduled_for = excluded.scheduled_for, event_at = excluded.event_at,
          name = excluded.name, locale = excluded.locale, time_zone = excluded.time_zone,
          plan_id = excluded.plan_id, updated_at = excluded.updated_at
      where email_deliveries.status in ('cancelled', 'suppressed')
        or (email_deliveries.status = 'queued'
          and email_deliveries.scheduled_for > ${now.toISOString()})`);
}

/**
 * Withdraws the holdout exposures whose moment is still to come, of the accounts in `scope`
 * (all of the campaign's without it). One whose moment has passed stays, as a sent email does:
 * the account was in the holdout by then, and whatever it did after (leaving the audience,
 * churning, being deleted) is part of what is measured, in both groups alike.
 */
async function withdrawHoldoutExposures(
  db: Db,
  campaignId: string,
  now: Date,
  scope?: string[],
): Promise<void> {
  if (scope?.length === 0) return;
  await db.execute(sql`
    delete from exposures
    where campaign_id = ${campaignId} and "group" = 'holdout' and channel = 'email'
      and first_at > ${now.toISOString()}
      ${scope ? sql`and account_id = any(${arrayParam(scope)})` : sql``}`);
}

/** Run after `withdrawHoldoutExposures` over the same accounts: what it left is kept. */
async function recordHoldoutExposures(
  db: Db,
  campaignId: string,
  rows: { account_id: string; first_at: string }[],
): Promise<void> {
  // The moments still to come were withdrawn, so a reschedule moves them as it moves the sends;
  // one already past stays, as a sent email does, however often the account syncs after it (as
  // does an exposure to another channel of the campaign).
  await db.execute(sql`
    insert into exposures (campaign_id, account_id, "group", channel, first_at)
    select ${campaignId}, r.account_id, 'holdout', 'email', r.first_at
    from jsonb_to_recordset(${jsonParam(rows)}) as r(account_id text, first_at timestamptz)
    on conflict (campaign_id, account_id) do nothing`);
}
