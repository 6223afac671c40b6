import { and, desc, eq, lt, sql } from 'drizzle-orm';
import { rowsOf } from '../../../db/json-param';
import {
  campaigns,
  DELIVERY_STATUSES,
  type DeliveryStatus,
  type EmailDeliveryRow,
  emailDeliveries,
  outboxMessages,
} from '../../../db/schema';
import type { Deps } from '../../../deps';
import { notFound } from '../../../http/app-error';
import { type Page, toPage } from '../../../http/pagination';
import { addressAsGiven } from '../../../lib/email-key';

export type DeliveryView = {
  id: string;
  account_id: string;
  email: string;
  status: DeliveryStatus;
  scheduled_for: string;
  /** The recipient's zone the send time was planned in. */
  time_zone: string;
  sent_at: string | null;
  attempts: number;
  provider_id: string | null;
  error: string | null;
};

const toView = (row: EmailDeliveryRow): DeliveryView => ({
  id: row.id,
  account_id: row.accountId,
  email: addressAsGiven(row),
  status: row.status,
  scheduled_for: row.scheduledFor.toISOString(),
  time_zone: row.timeZone,
  sent_at: row.sentAt?.toISOString() ?? null,
  attempts: row.attempts,
  provider_id: row.providerId,
  error: row.error,
});

async function requireCampaign(deps: Deps, id: string) {
  const [row] = await deps.db
    .select({ id: campaigns.id })
    .from(campaigns)
    .where(eq(campaigns.id, id));
  if (!row) throw notFound(`Campaign ${id}`);
}

/** A campaign's deliveries, newest first, with how many are in each state and held out. */
export async function listDeliveries(
  deps: Deps,
  campaignId: string,
  query: { limit: number; cursor?: string; status?: DeliveryStatus },
): Promise<
  Page<DeliveryView> & { counts: Record<DeliveryStatus, number>; held_out_accounts: number }
> {
  await requireCampaign(deps, campaignId);
  const [rows, counted, heldOut] = await Promise.all([
    deps.db
      .select()
      .from(emailDeliveries)
      .where(
        and(
          eq(emailDeliveries.campaignId, campaignId),
          query.status ? eq(emailDeliveries.status, query.status) : undefined,
          query.cursor ? lt(emailDeliveries.id, query.cursor) : undefined,
        ),
      )
      .orderBy(desc(emailDeliveries.id))
      .limit(query.limit + 1),
    deps.db
      .select({ status: emailDeliveries.status, count: sql<number>`count(*)::int` })
      .from(emailDeliveries)
      .where(eq(emailDeliveries.campaignId, campaignId))
      .groupBy(emailDeliveries.status),
    deps.db.execute(sql`
      select count(*)::int as count from exposures
      where campaign_id = ${campaignId} and "group" = 'holdout' and channel = 'email'`),
  ]);
  const counts = Object.fromEntries(DELIVERY_STATUSES.map((status) => [status, 0])) as Record<
    DeliveryStatus,
    number
  >;
  for (const row of counted) counts[row.status] = row.count;
  const page = toPage(rows, query.limit);
  return {
    data: page.data.map(toView),
    next_cursor: page.next_cursor,
    counts,
    held_out_accounts: rowsOf<{ count: number }>(heldOut)[0]?.count ?? 0,
  };
}

/** Campaigns with emails waiting to go out: how many, and when the first is due. */
export async function campaignsWithQueuedEmails(deps: Deps, limit: number) {
  return deps.db
    .select({
      id: campaigns.id,
      title: campaigns.title,
      queued: sql<number>`count(*)::int`,
      nextAt: sql<Date>`min(${emailDeliveries.scheduledFor})`.mapWith(emailDeliveries.scheduledFor),
    })
    .from(emailDeliveries)
    .innerJoin(campaigns, eq(campaigns.id, emailDeliveries.campaignId))
    .where(eq(emailDeliveries.status, 'queued'))
    .groupBy(campaigns.id, campaigns.title)
    .orderBy(sql`min(${emailDeliveries.scheduledFor})`)
    .limit(limit);
}

/** What the local outbox transport stored instead of sending, newest first. */
export async function listOutbox(
  deps: Deps,
  query: { limit: number; cursor?: string; campaign_id?: string },
) {
  const rows = await deps.db
    .select()
    .from(outboxMessages)
    .where(
      and(
        query.campaign_id ? eq(outboxMessages.campaignId, query.campaign_id) : undefined,
        query.cursor ? lt(outboxMessages.id, query.cursor) : undefined,
      ),
    )
    .orderBy(desc(outboxMessages.id))
    .limit(query.limit + 1);
  const page = toPage(rows, query.limit);
  return {
    data: page.data.map((row) => ({
      id: row.id,
      delivery_id: row.deliveryId,
      campaign_id: row.campaignId,
      to: row.to,
      from: row.from,
      subject: row.subject,
      html: row.html,
      text: row.text,
      headers: row.headers,
      created_at: row.createdAt.toISOString(),
    })),
    next_cursor: page.next_cursor,
  };
}

/** The emails planned or sent to one account, newest first, with their campaigns' titles. */
export async function deliveriesToAccount(
  deps: Deps,
  accountId: string,
  page: { limit: number; before?: string },
) {
  const rows = await deps.db
    .select({ delivery: emailDeliveries, title: campaigns.title })
    .from(emailDeliveries)
    .innerJoin(campaigns, eq(campaigns.id, emailDeliveries.campaignId))
    .where(
      and(
        eq(emailDeliveries.accountId, accountId),
        page.before ? lt(emailDeliveries.id, page.before) : undefined,
      ),
    )
    .orderBy(desc(emailDeliveries.id))
    .limit(page.limit);
  return rows.map((row) => ({ ...toView(row.delivery), campaign_title: row.title }));
}
