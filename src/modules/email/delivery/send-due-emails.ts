import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { and, asc, eq, inArray, lte, not, type SQL, sql } from 'drizzle-orm';
import { v7 as uuidv7 } from 'uuid';
import type { Db } from '../../../db/database';
import { jsonParam } from '../../../db/json-param';
import {
  accounts,
  campaigns,
  type EmailDeliveryRow,
  emailDeliveries,
  emailSuppressions,
} from '../../../db/schema';
import type { Deps } from '../../../deps';
import { addressAsGiven } from '../../../lib/email-key';
import { composeEmail, type EmailCampaign } from '../compose/compose-email';
import { type BatchOutcome, MAX_BATCH } from '../transport/email-transport';

export type SendReport = { requests: number; sent: number; failed: number; deferred: number };

const MAX_ATTEMPTS = 10;
const BACKOFF_BASE_MS = 1_000;
const BACKOFF_CAP_MS = 5 * 60 * 1000;
const IN_FLIGHT_WAIT_MS = 2_000;
/** Two claim-send-record loops: one records its batch while the other waits for the gate. */
const LANES = 2;

/**
 * Sends every due delivery, batch by batch, until none is left or the time budget is spent.
 * Safe to run in several processes at once: batches are claimed with SKIP LOCKED and leased,
 * and a batch keeps its members and idempotency key until the provider has answered, so a
 * batch whose lease ran out (a crash, a timeout) is sent again under the same key, as the same
 * request but for any address suppressed since (`heldBack`).
 * Once `stop` is aborted (the process is shutting down), no further batch is claimed.
 */
export async function sendDueEmails(
  deps: Deps,
  options: { budgetMs?: number; stop?: AbortSignal } = {},
): Promise<SendReport> {
  const report: SendReport = { requests: 0, sent: 0, failed: 0, deferred: 0 };
  const deadline = Date.now() + (options.budgetMs ?? 50_000);
  const lane = async () => {
    while (Date.now() < deadline && !options.stop?.aborted) {
      const claimed = await claimBatch(deps);
      if (claimed.batch.length === 0) return;
      await sendBatch(deps, claimed, report);
    }
  };
  await Promise.all(Array.from({ length: LANES }, lane));
  return report;
}

/** A claimed batch; `again` when it was sent before (its lease ran out, or it was deferred). */
type Claimed = { batch: EmailDeliveryRow[]; again: boolean };

async function claimBatch(deps: Deps): Promise<Claimed> {
  const now = deps.clock.now();
  const leaseUntil = new Date(now.getTime() + deps.config.email.leaseSeconds * 1000);
  const expired = await deps.db
    .update(emailDeliveries)
    .set({ leaseUntil, updatedAt: now })
    .where(
      and(
        eq(emailDeliveries.status, 'sending'),
        lte(emailDeliveries.leaseUntil, now),
        // Only a batch's first member is locked, so two senders never both take one batch
        // (locking any member would let each hold a different one and deadlock on the rest).
        eq(
          emailDeliveries.batchKey,
          sql`(
            select d.batch_key from email_deliveries d
            where d.status = 'sending' and d.lease_until <= ${now.toISOString()}
              and not exists (
                select 1 from email_deliveries m where m.batch_key = d.batch_key and m.id < d.id)
            order by d.lease_until limit 1
            for update skip locked)`,
        ),
      ),
    )
    .returning();
  if (expired.length > 0) return { batch: expired.sort(byId), again: true };

  // An address suppressed after its delivery was planned is skipped, and counted, here. So is
  // a campaign that ended on its own schedule, or was cancelled, before its email was due
  // (ending one by hand cancels its queue at once). A row an account sync holds (re-planning
  // it) is skipped and tidied on a later poll: waiting for it would stall the sender, and the
  // sync, taking rows in its own order, could wait for one this statement already holds. The
  // claim leaves such rows queued meanwhile, so skipping one never sends it.
  await tidyDue(deps, now, toSuppressedAddress, 'suppressed');
  await tidyDue(deps, now, ofEndedCampaign(now), 'cancelled');
  const claimed = await deps.db
    .update(emailDeliveries)
    .set({ status: 'sending', batchKey: uuidv7(), leaseUntil, updatedAt: now })
    .where(
      inArray(
        emailDeliveries.id,
        deps.db
          .select({ id: emailDeliveries.id })
          .from(emailDeliveries)
          .where(dueQueued(now, not(toSuppressedAddress), not(ofEndedCampaign(now))))
          .orderBy(asc(emailDeliveries.scheduledFor), asc(emailDeliveries.id))
          .limit(MAX_BATCH)
          .for('update', { skipLocked: true }),
      ),
    )
    .returning();
  return { batch: claimed.sort(byId), again: false };
}

/** Queued deliveries due by `now` that meet every one of `more`. */
const dueQueued = (now: Date, ...more: SQL[]) =>
  and(eq(emailDeliveries.status, 'queued'), lte(emailDeliveries.scheduledFor, now), ...more);

const toSuppressedAddress = sql`exists (
  select 1 from ${emailSuppressions} where ${emailSuppressions.email} = ${emailDeliveries.email})`;

const ofEndedCampaign = (now: Date) => sql`exists (
  select 1 from ${campaigns} where ${campaigns.id} = ${emailDeliveries.campaignId}
    and (${campaigns.cancelledAt} is not null or ${campaigns.endsAt} <= ${now.toISOString()}))`;

/** Gives the due queued deliveries matching `which` their final `status`, skipping locked ones. */
async function tidyDue(deps: Deps, now: Date, which: SQL, status: 'suppressed' | 'cancelled') {
  await deps.db
    .update(emailDeliveries)
    .set({ status, updatedAt: now })
    .where(
      inArray(
        emailDeliveries.id,
        deps.db
          .select({ id: emailDeliveries.id })
          .from(emailDeliveries)
          .where(dueQueued(now, which))
          .for('update', { skipLocked: true }),
      ),
    );
}

const byId = (a: EmailDeliveryRow, b: EmailDeliveryRow) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

async function sendBatch(deps: Deps, { batch, again }: Claimed, report: SendReport) {
  const held = again ? await heldBack(deps, batch) : new Set<string>();
  const members = batch.filter((delivery) => !held.has(delivery.id));
  if (members.length === 0) {
    await holdBackAll(deps, batch);
    return;
  }
  const emails = await composeBatch(deps, members);
  if (!emails) {
    const reason = 'the campaign no longer sends email';
    await recordOutcome(deps, batch, members, { kind: 'rejected', reason }, report);
    return;
  }
  report.requests++;
  // The key is the whole batch's, whoever is held back: see `heldBack`.
  const outcome = await deps.mailer.sendBatch(emails, batchIdempotencyKey(batch));
  await recordOutcome(deps, batch, members, outcome, report);
}

/**
 * The members of a batch sent before whose address was suppressed since, to be left out of
 * the request this time. The first request may have reached the provider (a timeout, a crash,
 * a 500 after accepting) or not (a 429, a crash before it), and nothing here tells which: sent
 * again unchanged, the request is harmless in the first case and mails a suppressed address
 * in the second. Left out, under the same key, the request is another body: in the first case
 * the provider answers 409 (the key was used with the whole batch) and every member is
 * recorded sent, as it was; in the second only the others are sent, and those left out are
 * recorded suppressed. A new key would send the others twice in the first case.
 *
 * A member suppressed through this campaign's own email (its unsubscribe link) shows that the
 * first request went: then nobody is left out, and the same request is answered again as it
 * was. One case stays unclear: after a request that left members out and got no answer, a 409
 * to a later one that left out others (a suppression came or was lifted between) cannot say
 * which body went; every member is then recorded sent, as the first request would have sent.
 */
async function heldBack(deps: Deps, batch: EmailDeliveryRow[]): Promise<Set<string>> {
  const rows = await deps.db
    .select({
      id: emailDeliveries.id,
      own: sql<boolean>`${emailSuppressions.campaignId} = ${emailDeliveries.campaignId}`,
    })
    .from(emailDeliveries)
    .innerJoin(emailSuppressions, eq(emailSuppressions.email, emailDeliveries.email))
    .where(
      inArray(
        emailDeliveries.id,
        batch.map((delivery) => delivery.id),
      ),
    );
  if (rows.some((row) => row.own)) return new Set();
  return new Set(rows.map((row) => row.id));
}

/**
 * Every member of a batch sent before was suppressed since: there is no request to make, and
 * none to ask whether the first one went. They are recorded suppressed, as mailing a
 * suppressed address again is the worse mistake; the note says the first may have gone.
 */
async function holdBackAll(deps: Deps, batch: EmailDeliveryRow[]) {
  const now = deps.clock.now();
  const ids = batch.map((delivery) => delivery.id);
  await deps.db
    .update(emailDeliveries)
    .set({
      status: 'suppressed',
      leaseUntil: null,
      error: 'suppressed before its batch was sent again; the first attempt may have gone',
      updatedAt: now,
    })
    .where(inArray(emailDeliveries.id, lockedBatch(deps.db, ids, batch[0]?.batchKey ?? '')));
}

/** Resend keys a batch request, not an email: the batch's key is a digest of its members' keys. */
function batchIdempotencyKey(batch: EmailDeliveryRow[]): string {
  const digest = sha256(new TextEncoder().encode(batch.map((d) => d.idempotencyKey).join('\n')));
  return `forestall-batch-${bytesToHex(digest).slice(0, 48)}`;
}

async function composeBatch(deps: Deps, batch: EmailDeliveryRow[]) {
  const campaignIds = [...new Set(batch.map((d) => d.campaignId))];
  const accountIds = [...new Set(batch.map((d) => d.accountId))];
  const [campaignRows, plans] = await Promise.all([
    deps.db.select().from(campaigns).where(inArray(campaigns.id, campaignIds)),
    deps.db
      .select({ id: accounts.id, plan: accounts.plan })
      .from(accounts)
      .where(inArray(accounts.id, accountIds)),
  ]);
  const campaignById = new Map(campaignRows.map((row) => [row.id, row]));
  const planById = new Map(plans.map((row) => [row.id, row.plan]));
  // The email channel was taken off while this batch was claimed: nothing to send.
  if (batch.some((delivery) => !campaignById.get(delivery.campaignId)?.email)) return null;
  return Promise.all(
    batch.map((delivery) => {
      const campaign = campaignById.get(delivery.campaignId) as EmailCampaign;
      return composeEmail(deps, campaign, {
        ...delivery,
        email: addressAsGiven(delivery),
        plan: planById.get(delivery.accountId) ?? null,
      });
    }),
  );
}

/** Records what became of a batch whose `members` were sent (the others were held back). */
async function recordOutcome(
  deps: Deps,
  batch: EmailDeliveryRow[],
  members: EmailDeliveryRow[],
  outcome: BatchOutcome,
  report: SendReport,
): Promise<void> {
  const now = deps.clock.now();
  const batchKey = batch[0]?.batchKey ?? '';
  const ids = batch.map((d) => d.id);
  const mine = inArray(emailDeliveries.id, lockedBatch(deps.db, ids, batchKey));
  const attempts = batch[0]?.attempts ?? 0;
  switch (outcome.kind) {
    case 'accepted':
    case 'accepted_earlier': {
      // Accepted now, the members went; accepted earlier, the whole batch did (`heldBack`).
      const went = outcome.kind === 'accepted' ? members : batch;
      const providerIds = outcome.kind === 'accepted' ? outcome.ids : [];
      const note = outcome.kind === 'accepted_earlier' ? outcome.reason : null;
      const sent = went.map((d, i) => ({ id: d.id, provider_id: providerIds[i] ?? null }));
      const reached = went.map((d) => ({ campaign_id: d.campaignId, account_id: d.accountId }));
      const heldIds = batch.filter((d) => !went.includes(d)).map((d) => d.id);
      const at = now.toISOString();
      await deps.db.transaction(async (tx) => {
        await lockedBatch(tx, ids, batchKey);
        if (heldIds.length > 0) {
          await tx
            .update(emailDeliveries)
            .set({ status: 'suppressed', leaseUntil: null, updatedAt: now })
            .where(inArray(emailDeliveries.id, lockedBatch(tx, heldIds, batchKey)));
        }
        await tx.execute(sql`
          update email_deliveries d
          set status = 'sent', provider_id = r.provider_id, sent_at = ${at},
              lease_until = null, attempts = d.attempts + 1, error = ${note},
              updated_at = ${at}
          from jsonb_to_recordset(${jsonParam(sent)}) as r(id uuid, provider_id text)
          where d.id = r.id and d.status = 'sending' and d.batch_key = ${batchKey}`);
        await tx.execute(sql`
          insert into exposures (campaign_id, account_id, "group", channel, first_at)
          select distinct r.campaign_id, r.account_id, 'treated', 'email', ${at}::timestamptz
          from jsonb_to_recordset(${jsonParam(reached)})
            as r(campaign_id uuid, account_id text)
          where exists (select 1 from campaigns c where c.id = r.campaign_id)
          on conflict (campaign_id, account_id) do nothing`);
      });
      report.sent += went.length;
      return;
    }
    case 'rate_limited':
      await deps.db
        .update(emailDeliveries)
        .set({ leaseUntil: new Date(now.getTime() + outcome.retryAfterMs), updatedAt: now })
        .where(mine);
      report.deferred += batch.length;
      return;
    case 'in_flight':
      await deps.db
        .update(emailDeliveries)
        .set({ leaseUntil: new Date(now.getTime() + IN_FLIGHT_WAIT_MS), updatedAt: now })
        .where(mine);
      report.deferred += batch.length;
      return;
    case 'transient':
      if (attempts + 1 >= MAX_ATTEMPTS) {
        await fail(
          deps,
          mine,
          `gave up after ${MAX_ATTEMPTS} attempts; last: ${outcome.reason}`,
          now,
        );
        report.failed += batch.length;
        return;
      }
      // Still `sending`: the provider may have accepted it, so only this very batch may retry.
      await deps.db
        .update(emailDeliveries)
        .set({
          leaseUntil: new Date(now.getTime() + backoff(attempts)),
          attempts: attempts + 1,
          error: outcome.reason,
          updatedAt: now,
        })
        .where(mine);
      deps.logger.warn('email batch will be retried', {
        reason: outcome.reason,
        attempts: attempts + 1,
      });
      report.deferred += batch.length;
      return;
    case 'rejected':
      await fail(deps, mine, outcome.reason, now);
      deps.logger.error('email batch rejected', { reason: outcome.reason });
      report.failed += batch.length;
      return;
  }
}

/**
 * The batch's rows still sending under its key, locked in the order plans write deliveries
 * (campaign, then address). A plan writing one of these addresses again (an account sync)
 * locks the row though it leaves it alone, so this record waits for the plan, or the plan for
 * this record, never each for the other.
 */
function lockedBatch(db: Db, ids: string[], batchKey: string) {
  return db
    .select({ id: emailDeliveries.id })
    .from(emailDeliveries)
    .where(
      and(
        inArray(emailDeliveries.id, ids),
        eq(emailDeliveries.status, 'sending'),
        eq(emailDeliveries.batchKey, batchKey),
      ),
    )
    .orderBy(asc(emailDeliveries.campaignId), sql`${emailDeliveries.email} collate "C"`)
    .for('update');
}

async function fail(deps: Deps, which: SQL, reason: string, now: Date) {
  await deps.db
    .update(emailDeliveries)
    .set({ status: 'failed', error: reason, leaseUntil: null, updatedAt: now })
    .where(which);
}

/** Exponential with equal jitter: half fixed, half random, so retrying instances spread out. */
function backoff(attempts: number): number {
  const delay = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** attempts);
  return delay / 2 + Math.random() * (delay / 2);
}
