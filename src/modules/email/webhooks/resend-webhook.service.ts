import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from '../../../db/database';
import { rowsOf } from '../../../db/json-param';
import {
  type DeliveryStatus,
  emailDeliveries,
  type SuppressionReason,
  webhookReceipts,
} from '../../../db/schema';
import type { Deps } from '../../../deps';
import { holdForSuppression, suppressHeldAddress } from '../recipients/suppressions.service';

export type ResendEvent = {
  type: string;
  data: { email_id?: string; bounce?: { type?: string; message?: string } };
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
    // What a suppression holds is held before the delivery's row is written: a sync or a
    // campaign change planning it holds the address or the campaign's row, then this row, so
    // taking them the other way round here could leave each waiting for the other.
    if (reason) await holdForSuppression(tx, await addressesSent(tx, emailId), now);
    const [delivery] = await tx
      .update(emailDeliveries)
      .set({
        status: transition.to,
        error: event.data.bounce?.message ?? null,
        updatedAt: now,
      })
      .where(
        and(
          eq(emailDeliveries.providerId, emailId),
          inArray(emailDeliveries.status, transition.from),
        ),
      )
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

/** The addresses the provider's email went to: a campaign's delivery, or a status email. */
async function addressesSent(tx: Db, emailId: string): Promise<string[]> {
  return rowsOf<{ email: string }>(
    await tx.execute(sql`
      select email from email_deliveries where provider_id = ${emailId}
      union
      select s.email from status_notifications n
      join status_subscribers s on s.id = n.subscriber_id
      where n.provider_id = ${emailId}`),
  ).map((row) => row.email.toLowerCase());
}

function suppressionReason(event: ResendEvent): SuppressionReason | null {
  if (event.type === 'email.complained') return 'complained';
  // A transient bounce (mailbox full, greylisting) may clear; only hard bounces suppress.
  if (event.type === 'email.bounced' && event.data.bounce?.type !== 'Transient') return 'bounced';
  return null;
}
