import { inArray } from 'drizzle-orm';
import { v7 as uuidv7 } from 'uuid';
import type { Db } from '../../../db/database';
import { outboxMessages } from '../../../db/schema';
import type { BatchOutcome, EmailTransport, OutgoingEmail } from './email-transport';

/**
 * The default when no Resend key is set: stores each rendered message instead of sending it,
 * once per delivery, so `npm start` works offline and ops can read what would have gone out.
 */
export function createOutboxTransport(db: Db): EmailTransport {
  return {
    name: 'outbox',
    async sendBatch(emails: OutgoingEmail[]): Promise<BatchOutcome> {
      await db
        .insert(outboxMessages)
        .values(
          emails.map((email) => ({
            id: uuidv7(),
            deliveryId: email.deliveryId,
            campaignId: email.campaignId,
            to: email.to,
            from: email.from,
            subject: email.subject,
            html: email.html,
            text: email.text,
            headers: email.headers,
          })),
        )
        .onConflictDoNothing({ target: outboxMessages.deliveryId });
      const stored = await db
        .select({ id: outboxMessages.id, deliveryId: outboxMessages.deliveryId })
        .from(outboxMessages)
        .where(
          inArray(
            outboxMessages.deliveryId,
            emails.map((email) => email.deliveryId),
          ),
        );
      const ids = new Map(stored.map((row) => [row.deliveryId, row.id]));
      return { kind: 'accepted', ids: emails.map((email) => ids.get(email.deliveryId) ?? '') };
    },
  };
}
