import { and, eq, gt, sql } from 'drizzle-orm';
import type { Db } from '../../../db/database';
import { retryingTransaction, withinTransaction } from '../../../db/retry-transaction';
import { emailDeliveries, emailSuppressions, type SuppressionReason } from '../../../db/schema';
import type { Deps } from '../../../deps';
import { AppError, notFound } from '../../../http/app-error';
import { encodeKeyCursor, type Page, toPage } from '../../../http/pagination';
import { emailKey } from '../../../lib/email-key';
import { holdSendingCampaigns } from '../delivery/accounts-follow-up';
import { holdAccountsWith, holdAddresses } from '../delivery/address-locks';

/**
 * Puts an address on the suppression list; its queued deliveries are marked `suppressed` at
 * once so ops see the count, and any later plan or send skips it. A held-out account left with
 * no address an email could reach loses its holdout moments still to come, as a treated one
 * loses its email. Idempotent.
 *
 * The address is held as an account sync changing it would hold it (and the other addresses
 * of its accounts, shared), before anything is written: a sync planning an account with it
 * reads whether it can be reached, and so held out, and a suppression of another of its
 * addresses reads whether any is left, so each plans what the other committed. Campaign
 * changes are waited for alike (`holdForSuppression`).
 */
export async function suppressAddress(
  deps: Deps,
  email: string,
  reason: SuppressionReason,
  campaignId: string | null,
  db: Db = deps.db,
): Promise<void> {
  await withinTransaction(deps.db, db, async (tx) => {
    await holdForSuppression(tx, [emailKey(email)], deps.clock.now());
    await suppressHeldAddress(deps, tx, email, reason, campaignId);
  });
}

/**
 * `suppressAddress` in the caller's transaction, which already holds what `holdForSuppression`
 * holds for the address.
 */
export async function suppressHeldAddress(
  deps: Deps,
  tx: Db,
  email: string,
  reason: SuppressionReason,
  campaignId: string | null,
): Promise<void> {
  const now = deps.clock.now();
  const address = emailKey(email);
  await tx
    .insert(emailSuppressions)
    .values({ email: address, reason, campaignId, createdAt: now })
    .onConflictDoNothing();
  await tx
    .update(emailDeliveries)
    .set({ status: 'suppressed', updatedAt: now })
    .where(and(eq(emailDeliveries.email, address), eq(emailDeliveries.status, 'queued')));
  await withdrawUnreachableHoldouts(tx, address, now);
}

/**
 * What a suppression of `addresses` holds before it writes: the addresses, as a sync changing
 * them would, and the rows of the campaigns sending email. A campaign planning its whole
 * audience reads the list too and holds its row meanwhile (one being published holds the list
 * itself), so the suppression waits for it and withdraws what it planned.
 */
export async function holdForSuppression(tx: Db, addresses: string[], now: Date) {
  await holdAddresses(tx, addresses);
  await holdSendingCampaigns(tx, now);
}

async function withdrawUnreachableHoldouts(db: Db, address: string, now: Date) {
  await db.execute(sql`
    delete from exposures e
    where e."group" = 'holdout' and e.channel = 'email' and e.first_at > ${now.toISOString()}
      and e.account_id in (select account_id from account_contacts where email = ${address})
      and not exists (
        select 1 from account_contacts c
        where c.account_id = e.account_id
          and not exists (select 1 from email_suppressions s where s.email = c.email))`);
}

export async function isSuppressed(deps: Deps, email: string): Promise<boolean> {
  const [row] = await deps.db
    .select({ email: emailSuppressions.email })
    .from(emailSuppressions)
    .where(eq(emailSuppressions.email, emailKey(email)));
  return Boolean(row);
}

export type SuppressionView = {
  email: string;
  reason: SuppressionReason;
  campaign_id: string | null;
  created_at: string;
};

/** The suppression list by address, a page at a time. */
export async function listSuppressions(
  deps: Deps,
  query: { limit: number; after?: string },
): Promise<Page<SuppressionView>> {
  const rows = await deps.db
    .select()
    .from(emailSuppressions)
    .where(query.after ? gt(emailSuppressions.email, query.after) : undefined)
    .orderBy(emailSuppressions.email)
    .limit(query.limit + 1);
  const page = toPage(rows, query.limit, (row) => encodeKeyCursor(row.email));
  return {
    next_cursor: page.next_cursor,
    data: page.data.map((row) => ({
      email: row.email,
      reason: row.reason,
      campaign_id: row.campaignId,
      created_at: row.createdAt.toISOString(),
    })),
  };
}

/**
 * Lifts a hard bounce (the mailbox works again). Unsubscribes and complaints are the
 * recipient's own wish and stay: only they can undo them, by asking. The accounts with the
 * address are planned again at once, as an account sync would plan them: a treated one's
 * suppressed email is queued again and a held-out one gets its moment back, alike.
 */
export async function liftBounce(deps: Deps, email: string): Promise<void> {
  const address = emailKey(email);
  const [row] = await deps.db
    .select()
    .from(emailSuppressions)
    .where(eq(emailSuppressions.email, address));
  if (!row) throw notFound(`Suppression of ${address}`);
  if (row.reason !== 'bounced') {
    throw new AppError('conflict', `${address} ${row.reason}; only a bounce can be lifted by ops.`);
  }
  await retryingTransaction(deps.db, async (tx) => {
    // Every address of the accounts holding it, as the sync of a change to them would hold
    // them, before the suppression goes: a sync giving an account the address meanwhile plans
    // it suppressed and commits first, and its account is planned here with the rest.
    const contacts = await holdAccountsWith(tx, address);
    await tx.delete(emailSuppressions).where(eq(emailSuppressions.email, address));
    const addresses = [address, ...contacts.map((contact) => contact.email)];
    await deps.afterAccountsChange(
      deps,
      tx,
      [...new Set(contacts.map((contact) => contact.accountId))],
      { former: addresses, current: addresses },
    );
  });
}

/** Suppressed addresses among a campaign's recipients: why, and since when. */
export async function campaignSuppressions(deps: Deps, campaignId: string, limit = 100) {
  const rows = await deps.db
    .selectDistinct({
      email: emailSuppressions.email,
      reason: emailSuppressions.reason,
      createdAt: emailSuppressions.createdAt,
    })
    .from(emailSuppressions)
    .innerJoin(emailDeliveries, eq(emailDeliveries.email, emailSuppressions.email))
    .where(eq(emailDeliveries.campaignId, campaignId))
    .orderBy(emailSuppressions.email)
    .limit(limit);
  return rows.map((row) => ({
    email: row.email,
    reason: row.reason,
    created_at: row.createdAt.toISOString(),
  }));
}
