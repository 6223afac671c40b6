import { formatInTimeZone } from 'date-fns-tz';
import { and, eq, isNull, sql } from 'drizzle-orm';
import { createElement } from 'react';
import { v7 as uuidv7 } from 'uuid';
import StatusEmail, { type StatusEmailProps } from '../../../../emails/status-update';
import type { Db } from '../../../db/database';
import { jsonParam, rowsOf } from '../../../db/json-param';
import { statusNotifications, statusSubscribers } from '../../../db/schema';
import type { Deps } from '../../../deps';
import { emailKey } from '../../../lib/email-key';
import { listUnsubscribeHeaders } from '../../email/compose/list-unsubscribe';
import { renderHtmlAndText } from '../../email/compose/render-campaign-email';
import { subjectLine } from '../../email/compose/subject-line';
import type { OutgoingEmail } from '../../email/transport/email-transport';
import { incidentUrl } from '../status-links';
import {
  confirmToken,
  readConfirmToken,
  readUnsubscribeToken,
  subscriptionUrl,
  unsubscribeToken,
} from './status-subscription-token';
import { countSubscribeRequest, forgetSubscribeCounts } from './subscribe-limits';

/**
 * Opt-in requests are public, so they are rationed against mail bombing: by client, mailbox
 * and in all (`SUBSCRIBE_LIMITS`, answered with a 429), and besides silently to one email per
 * address every ten minutes and three per unconfirmed address in all.
 */
const CONFIRM_THROTTLE_MS = 10 * 60_000;
const CONFIRMS_PER_ADDRESS = 3;
/** An address not confirmed within a week is forgotten. */
const UNCONFIRMED_DAYS = 7;
/** A claimed batch not marked sent after this long is sent again, with the same key. */
const STALE_CLAIM_MS = 5 * 60_000;
const BATCH = 100;

/**
 * Double opt-in: records the address (unconfirmed) and queues a confirmation email, at most
 * one per address every ten minutes. The answer never says whether the address was known.
 * `client` is the requester's address bucket (`clientBucket`).
 */
export async function subscribeToStatus(
  deps: Deps,
  address: string,
  client: string,
): Promise<void> {
  const given = address.trim();
  const email = emailKey(given);
  const now = deps.clock.now();
  await deps.db.transaction(async (tx) => {
    // Counted with the request: one refused (429) or failing counts nowhere.
    await countSubscribeRequest(tx, now, { client, email });
    const [subscriber] = await tx
      .insert(statusSubscribers)
      .values({ id: uuidv7(), email, emailAsGiven: given, createdAt: now })
      // A request spelling the address anew respells it until it is confirmed, not after.
      .onConflictDoUpdate({
        target: statusSubscribers.email,
        set: {
          emailAsGiven: sql`case when ${statusSubscribers.confirmedAt} is null
            then excluded.email_as_given else ${statusSubscribers.emailAsGiven} end`,
        },
      })
      .returning();
    if (!subscriber || subscriber.confirmedAt) return;
    const [sent] = rowsOf<{ total: number; recent: number; suppressed: boolean }>(
      await tx.execute(sql`
        select
          count(*) filter (where subscriber_id = ${subscriber.id})::int as total,
          count(*) filter (where subscriber_id = ${subscriber.id} and created_at > ${new Date(
            now.getTime() - CONFIRM_THROTTLE_MS,
          ).toISOString()})::int as recent,
          exists (select 1 from email_suppressions where email = ${email}) as suppressed
        from status_notifications where kind = 'confirm'`),
    );
    if (!sent || sent.suppressed || sent.recent > 0 || sent.total >= CONFIRMS_PER_ADDRESS) {
      return;
    }
    await tx.insert(statusNotifications).values({
      id: uuidv7(),
      subscriberId: subscriber.id,
      kind: 'confirm',
      createdAt: now,
    });
  });
}

/**
 * What a confirmation link stands for now: its subscription (pending or confirmed), one that
 * ended (unsubscribed, or forgotten unconfirmed), one a newer request for the address replaced,
 * or nothing (not our link).
 */
export type ConfirmLinkState =
  | { kind: 'current'; email: string }
  | { kind: 'ended'; email: string }
  | { kind: 'replaced'; email: string }
  | { kind: 'invalid' };

export async function confirmLinkState(deps: Deps, token: string): Promise<ConfirmLinkState> {
  const link = await readConfirmToken(deps, token);
  if (!link) return { kind: 'invalid' };
  const [row] = await deps.db
    .select({ id: statusSubscribers.id })
    .from(statusSubscribers)
    .where(eq(statusSubscribers.email, emailKey(link.email)));
  return stateOf(link.email, link.subscriberId, row?.id);
}

/** Confirms the subscription the link was sent for, if it is still the address's. */
export async function confirmStatusSubscription(
  deps: Deps,
  token: string,
): Promise<ConfirmLinkState> {
  const link = await readConfirmToken(deps, token);
  if (!link) return { kind: 'invalid' };
  const [row] = await deps.db
    .update(statusSubscribers)
    .set({
      confirmedAt: sql`coalesce(${statusSubscribers.confirmedAt},
                                ${deps.clock.now().toISOString()})`,
    })
    .where(
      and(
        eq(statusSubscribers.email, emailKey(link.email)),
        eq(statusSubscribers.id, link.subscriberId),
      ),
    )
    .returning({ id: statusSubscribers.id });
  if (row) return { kind: 'current', email: link.email };
  return confirmLinkState(deps, token);
}

function stateOf(email: string, linkedId: string, currentId: string | undefined) {
  if (currentId === linkedId) return { kind: 'current', email } as const;
  return { kind: currentId ? 'replaced' : 'ended', email } as const;
}

/** Forgets the address and anything still owed to it; idempotent. */
export async function unsubscribeFromStatus(
  deps: Deps,
  token: string,
): Promise<string | undefined> {
  const email = await readUnsubscribeToken(deps, token);
  if (!email) return undefined;
  await deps.db.delete(statusSubscribers).where(eq(statusSubscribers.email, emailKey(email)));
  return email;
}

/**
 * Forgets addresses nobody confirmed within a week (and what they were owed), and the counts
 * of subscribe requests whose windows ended.
 */
export async function forgetUnconfirmed(deps: Deps): Promise<void> {
  await forgetSubscribeCounts(deps.db, deps.clock.now());
  const before = new Date(deps.clock.now().getTime() - UNCONFIRMED_DAYS * 86_400_000);
  await deps.db.execute(sql`
    delete from status_subscribers
    where confirmed_at is null and created_at < ${before.toISOString()}`);
}

/** In the transaction that posts an update: one email owed to every confirmed subscriber. */
export async function queueStatusUpdateEmails(db: Db, incidentUpdateId: string, now: Date) {
  await db.execute(sql`
    insert into status_notifications (id, subscriber_id, kind, incident_update_id, created_at)
    select gen_random_uuid(), s.id, 'update', ${incidentUpdateId}, ${now.toISOString()}
    from status_subscribers s where s.confirmed_at is not null
      and not exists (select 1 from email_suppressions x where x.email = s.email)
    on conflict do nothing`);
}

type Owed = {
  id: string;
  subscriber_id: string;
  email: string;
  kind: 'confirm' | 'update';
  incident_id: string | null;
  incident_name: string | null;
  status: string | null;
  body: string | null;
  components: string[] | null;
  posted_at: string | null;
};

/**
 * Hands owed status emails to the transport, a claimed batch at a time: a batch keeps its id
 * (the idempotency key) until the transport accepts it, so a crash or a retry never sends an
 * email twice. Stops at the first batch the transport cannot take now.
 */
export async function sendStatusEmails(deps: Deps, stop?: AbortSignal): Promise<{ sent: number }> {
  let sent = 0;
  while (!stop?.aborted) {
    const batch = await claimBatch(deps);
    if (!batch) return { sent };
    const emails = await Promise.all(batch.rows.map((row) => composeStatusEmail(deps, row)));
    const outcome = await deps.mailer.sendBatch(emails, `forestall-status-${batch.id}`);
    if (outcome.kind === 'accepted' || outcome.kind === 'accepted_earlier') {
      const ids = outcome.kind === 'accepted' ? outcome.ids : [];
      await markSent(
        deps,
        batch.id,
        batch.rows.map((row, i) => ({ id: row.id, provider: ids[i] })),
      );
      sent += emails.length;
    } else if (outcome.kind === 'rejected') {
      deps.logger.warn('status emails refused', { batch: batch.id, reason: outcome.reason });
      await markSent(deps, batch.id);
    } else {
      return { sent };
    }
  }
  return { sent };
}

async function claimBatch(deps: Deps): Promise<{ id: string; rows: Owed[] } | undefined> {
  const now = deps.clock.now();
  const staleBefore = new Date(now.getTime() - STALE_CLAIM_MS);
  return deps.db.transaction(async (tx) => {
    const [stale] = rowsOf<{ batch_id: string }>(
      await tx.execute(sql`
        select batch_id from status_notifications
        where sent_at is null and batch_id is not null
          and claimed_at < ${staleBefore.toISOString()}
        order by claimed_at limit 1 for update skip locked`),
    );
    let batchId = stale?.batch_id;
    if (batchId) {
      // Another instance may be reclaiming the same batch: only the one whose update still
      // finds it stale sends it.
      const reclaimed = await tx.execute(sql`
        update status_notifications set claimed_at = ${now.toISOString()}
        where batch_id = ${batchId} and sent_at is null
          and claimed_at < ${staleBefore.toISOString()}
        returning id`);
      if (rowsOf(reclaimed).length === 0) return undefined;
    } else {
      batchId = uuidv7();
      const claimed = await tx.execute(sql`
        update status_notifications set batch_id = ${batchId}, claimed_at = ${now.toISOString()}
        where id in (
          select id from status_notifications
          where sent_at is null and batch_id is null
          order by created_at, id limit ${BATCH} for update skip locked)
        returning id`);
      if (rowsOf(claimed).length === 0) return undefined;
    }
    return { id: batchId, rows: await owedIn(tx, batchId) };
  });
}

async function owedIn(db: Db, batchId: string): Promise<Owed[]> {
  return rowsOf<Owed>(
    await db.execute(sql`
      select n.id::text, s.id::text as subscriber_id,
        coalesce(s.email_as_given, s.email) as email, n.kind, i.id::text as incident_id, i.name as incident_name,
        u.status, u.body, to_json(u.created_at) #>> '{}' as posted_at,
        (select jsonb_agg(c->>'name') from jsonb_array_elements(u.affected_components) c)
          as components
      from status_notifications n
      join status_subscribers s on s.id = n.subscriber_id
      left join incident_updates u on u.id = n.incident_update_id
      left join incidents i on i.id = u.incident_id
      where n.batch_id = ${batchId}
      order by n.id`),
  );
}

async function markSent(
  deps: Deps,
  batchId: string,
  providerIds: { id: string; provider: string | undefined }[] = [],
) {
  await deps.db.transaction(async (tx) => {
    await tx
      .update(statusNotifications)
      .set({ sentAt: deps.clock.now() })
      .where(and(eq(statusNotifications.batchId, batchId), isNull(statusNotifications.sentAt)));
    const known = providerIds.filter((p) => p.provider);
    if (known.length === 0) return;
    await tx.execute(sql`
      update status_notifications n set provider_id = p.provider
      from jsonb_to_recordset(${jsonParam(known)}) as p(id uuid, provider text)
      where n.id = p.id`);
  });
}

async function composeStatusEmail(deps: Deps, owed: Owed): Promise<OutgoingEmail> {
  const pageName = deps.config.statusPageName;
  const base = {
    deliveryId: owed.id,
    campaignId: null,
    from: deps.config.email.from,
    to: owed.email,
  };
  if (owed.kind === 'confirm') {
    const confirmUrl = subscriptionUrl(
      deps,
      await confirmToken(deps, { email: owed.email, subscriberId: owed.subscriber_id }),
      'confirm',
    );
    const props: StatusEmailProps = { kind: 'confirm', pageName, confirmUrl };
    const { html, text } = await renderHtmlAndText(createElement(StatusEmail, props));
    return {
      ...base,
      subject: subjectLine(`Confirm status updates from ${pageName}`),
      html,
      text,
      headers: {},
    };
  }
  const unsubscribeUrl = subscriptionUrl(
    deps,
    await unsubscribeToken(deps, owed.email),
    'unsubscribe',
  );
  const status = owed.status ?? '';
  const props: StatusEmailProps = {
    kind: 'update',
    pageName,
    incidentName: owed.incident_name ?? '',
    status,
    body: owed.body ?? '',
    components: owed.components ?? [],
    postedAt: formatInTimeZone(
      new Date(owed.posted_at ?? 0),
      deps.config.workspaceTimeZone,
      'd MMM yyyy, HH:mm zzz',
    ),
    incidentUrl: incidentUrl(deps, owed.incident_id ?? ''),
    unsubscribeUrl,
  };
  const { html, text } = await renderHtmlAndText(createElement(StatusEmail, props));
  return {
    ...base,
    subject: subjectLine(`[${pageName}] ${props.incidentName}: ${status.replaceAll('_', ' ')}`),
    html,
    text,
    headers: listUnsubscribeHeaders(unsubscribeUrl),
  };
}
