import { and, eq, inArray, isNull, or, type SQL, sql } from 'drizzle-orm';
import { validate as isUuid } from 'uuid';
import type { Db } from '../../../db/database';
import { rowsOf } from '../../../db/json-param';
import {
  type DeliveryStatus,
  emailDeliveries,
  type SuppressionReason,
  webhookReceipts,
} from '../../../db/schema';
import type { Deps } from '../../../deps';
import { emailKey } from '../../../lib/email-key';
import { holdForSuppression, suppressHeldAddress } from '../recipients/suppressions.service';

export type ResendEvent = {
  type: string;
  data: { email_id?: string; bounce?: { type?: string; message?: string }; tags?: unknown };
};

export type WebhookResult = { duplicate: boolean; applied: boolean };

/** Which delivery states an event moves from, and to. */
// A Map: an event type is the sender's text, and `constructor` must not find Object's.
const TRANSITIONS = new Map<string, { to: DeliveryStatus; from: DeliveryStatus[] }>([
  ['email.delivered', { to: 'delivered', from: ['sent'] }],
  ['email.bounced', { to: 'bounced', from: ['sent', 'delivered'] }],
  ['email.complained', { to: 'complained', from: ['sent', 'delivered'] }],
  ['email.failed', { to: 'failed', from: ['sent'] }],
]);

/**
 * Applies one Resend event once: the `svix-id` is recorded in the same transaction, so a
 * retried delivery of the same event changes nothing. Hard bounces and complaints put the
 * address on the suppression list every later send checks.
 */
export async function applyResendEvent(
  deps: Deps,
  messageId: string,
  event: ResendEvent,
): Promise<WebhookResult> {
  const now = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    const [receipt] = await tx
      .insert(webhookReceipts)
      .values({ id: messageId, source: 'resend', type: event.type, receivedAt: now })
      .onConflictDoNothing()
      .returning({ id: webhookReceipts.id });
    if (!receipt) return { duplicate: true, applied: false };
    const transition = TRANSITIONS.get(event.type);
    const emailId = event.data.email_id;
    if (!transition || !emailId) return { duplicate: false, applied: false };
    const reason = suppressionReason(event);
    const sentAs = deliveryOf(emailId, deliveryIdTag(event.data.tags));
    // What a suppression holds is held before the delivery's row is written: a sync or a
    // campaign change planning it holds the address or the campaign's row, then this row, so
    // taking them the other way round here could leave each waiting for the other.
    if (reason) await holdForSuppression(tx, await addressesSent(tx, emailId, sentAs), now);
    const [delivery] = await tx
      .update(emailDeliveries)
      .set({
        status: transition.to,
        providerId: emailId,
        error: event.data.bounce?.message ?? null,
        updatedAt: now,
      })
      .where(and(sentAs, inArray(emailDeliveries.status, transition.from)))
      .returning({ email: emailDeliveries.email, campaignId: emailDeliveries.campaignId });
    if (!delivery) {
      // Not a campaign email: perhaps a status-page one, whose bounces suppress its address.
      const [status] = rowsOf<{ email: string }>(
        await tx.execute(sql`
          select s.email from status_notifications n
          join status_subscribers s on s.id = n.subscriber_id
          where n.provider_id = ${emailId}`),
      );
      if (!status || !reason) return { duplicate: false, applied: false };
      await suppressHeldAddress(deps, tx, status.email, reason, null);
      return { duplicate: false, applied: true };
    }
    if (reason) await suppressHeldAddress(deps, tx, delivery.email, reason, delivery.campaignId);
    return { duplicate: false, applied: true };
  });
}

/**
 * The delivery the provider's email was: the one holding its id or, when no id was recorded
 * (a batch whose first answer was lost is recorded sent without ids), the one its
 * `delivery_id` tag names, or its bounce would suppress nothing.
 */
function deliveryOf(emailId: string, deliveryId: string | undefined): SQL | undefined {
  const byId = eq(emailDeliveries.providerId, emailId);
  if (!deliveryId) return byId;
  return or(byId, and(isNull(emailDeliveries.providerId), eq(emailDeliveries.id, deliveryId)));
}

/** The `delivery_id` tag the transport sets, as Resend's events carry tags (a list of pairs). */
function deliveryIdTag(tags: unknown): string | undefined {
  const pairs: unknown[] = Array.isArray(tags)
    ? tags
    : tags && typeof tags === 'object'
      ? Object.entries(tags).map(([name, value]) => ({ name, value }))
      : [];
  for (const pair of pairs) {
    if (!pair || typeof pair !== 'object') continue;
    const { name, value } = pair as { name?: unknown; value?: unknown };
    if (name === 'delivery_id' && typeof value === 'string' && isUuid(value)) return value;
  }
  return undefined;
}

/** The addresses the provider's email went to: a campaign's delivery, or a status email. */
async function addressesSent(tx: Db, emailId: string, sentAs: SQL | undefined): Promise<string[]> {
  return rowsOf<{ email: string }>(
    await tx.execute(sql`
      select email from ${emailDeliveries} where ${sentAs}
      union
      select s.email from status_notifications n
      join status_subscribers s on s.id = n.subscriber_id
      where n.provider_id = ${emailId}`),
  ).map((row) => emailKey(row.email));
}

function suppressionReason(event: ResendEvent): SuppressionReason | null {
  if (event.type === 'email.complained') return 'complained';
  // A transient bounce (mailbox full, greylisting) may clear; only hard bounces suppress.
  if (event.type === 'email.bounced' && event.data.bounce?.type !== 'Transient') return 'bounced';
  return null;
}
