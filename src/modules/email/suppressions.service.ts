import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from '../../db/database';
import { withinTransaction } from '../../db/retry-transaction';
import { emailDeliveries, emailSuppressions, type SuppressionReason } from '../../db/schema';
import type { Deps } from '../../deps';

/**
 * Puts an address on the suppression list; its queued deliveries are marked `suppressed` at
 * once so ops see the count, and any later plan or send skips it. Idempotent.
 */
export async function suppressAddress(
  deps: Deps,
  email: string,
  reason: SuppressionReason,
  campaignId: string | null,
  db: Db = deps.db,
): Promise<void> {
  const now = deps.clock.now();
  const address = email.toLowerCase();
  await withinTransaction(deps.db, db, async (tx) => {
    await tx
      .insert(emailSuppressions)
      .values({ email: address, reason, campaignId, createdAt: now })
      .onConflictDoNothing();
    await tx
      .update(emailDeliveries)
      .set({ status: 'suppressed', updatedAt: now })
      .where(and(eq(emailDeliveries.email, address), eq(emailDeliveries.status, 'queued')));
  });
}

export async function isSuppressed(deps: Deps, email: string): Promise<boolean> {
  const [row] = await deps.db
    .select({ email: emailSuppressions.email })
    .from(emailSuppressions)
    .where(eq(emailSuppressions.email, email.toLowerCase()));
  return Boolean(row);
}

export async function listSuppressions(
  deps: Deps,
  query: { limit: number; cursor?: string; emails?: string[] },
) {
  const rows = await deps.db
    .select()
    .from(emailSuppressions)
    .where(
      and(
        query.cursor ? sql`${emailSuppressions.email} > ${query.cursor}` : undefined,
        query.emails ? inArray(emailSuppressions.email, query.emails) : undefined,
      ),
    )
    .orderBy(emailSuppressions.email)
    .limit(query.limit + 1);
  return rows;
}
