import { type SQL, sql } from 'drizzle-orm';
import type { Db } from '../../db/database';
import { jsonParam, jsonRecordsParam, rowsOf } from '../../db/json-param';
import { postgresCode, retryingTransaction } from '../../db/retry-transaction';
import type { Deps } from '../../deps';
import { AppError, type FieldError } from '../../http/app-error';
import { countOf } from '../../lib/count-words';
import { applyRollupDeltas, type RollupDelta, rollupSteps } from '../reasons/reason-weeks-rollup';
import { resolveReasonSlugs } from '../reasons/resolve-reasons';
import { queueRecontactWork, settleRecontactsInBackground } from '../recontacts/recontact-work';
import type { ContactPoint } from '../recontacts/recontacts';
import { type NormalizedTicket, normalizeTickets, type PathOf } from './normalize-tickets';
import {
  type BatchLookUp,
  storedUnderOtherSourceInBatch,
  storedUnderOtherSourceProblem,
} from './other-source';
import { removedKeys } from './removed-tickets';
import type { IngestSummary, TicketInput } from './ticket-input';
import { isOlder } from './ticket-time';

type StoredTicket = {
  source: string;
  external_id: string;
  account_id: string | null;
  raw_reason_key: string;
  reason_slug: string;
  sub_reason: string | null;
  channel: string | null;
  created_at: string;
  resolved_at: string | null;
  first_response_at: string | null;
  csat: number | null;
  source_updated_at: string | null;
};

const TICKET_RECORD = sql`(source text, external_id text, account_id text, raw_reason_key text,
  reason_slug text, sub_reason text, channel text, created_at timestamptz,
  resolved_at timestamptz, first_response_at timestamptz, csat smallint,
  source_updated_at timestamptz)`;

const batchPath: PathOf = (index, field) => `tickets.${index}.${field}`;
const IN_A_BATCH = {
  in: 'batch',
  flag: { location: 'body', example: '"store_anyway": true' },
} as const;

/**
 * Ingests a batch all-or-nothing, idempotent on (source, external_id): a ticket seen before
 * with the same content is a duplicate, with different content an update (copies of one
 * ticket in the batch count as if sent one after another: `prepareBatch`); the weekly rollup
 * follows both at once, and re-contact flags right after (`settleAfterIngest`). Every lock
 * (reasons, tickets, rollup rows) is taken in key order, so concurrent overlapping batches
 * wait for each other; a deadlock left is resolved by running the transaction again. Asked
 * to (`lookUpOtherSource`), it first refuses, with a 409, tickets that look stored already
 * under another source.
 */
export async function ingestTickets(
  deps: Deps,
  inputs: TicketInput[],
  options: IngestOptions & { lookUpOtherSource?: BatchLookUp } = {},
): Promise<IngestSummary> {
  const batch = prepareBatch(deps, inputs, batchPath);
  const { sourceUpdatedAt = null, lookUpOtherSource } = options;
  // The batch's own tickets (prepareBatch made them): stamped where they are, not copied.
  for (const ticket of batch.tickets) ticket.sourceUpdatedAt = sourceUpdatedAt;
  const summary = await retryingTransaction(deps.db, async (tx) => {
    const other =
      lookUpOtherSource &&
      (await storedUnderOtherSourceInBatch(tx, batch.tickets, lookUpOtherSource));
    if (other) throw storedUnderOtherSourceProblem(other, IN_A_BATCH);
    return writeBatch(tx, deps, batch, options);
  });
  settleAfterIngest(deps);
  return summary;
}

/**
 * Re-contact flags are re-derived after the ingest commits, not inside it: the ingest only
 * queues its contacts (in its transaction), which keeps the refresh off the request. Readers
 * of the flags settle the queue first, so none of them sees it unsettled.
 */
export function settleAfterIngest(deps: Deps): void {
  deps.afterDetectionInputChange(deps);
  deps.background(() =>
    settleRecontactsInBackground(deps.db, (error) =>
      deps.logger.error('re-contact flags not settled; the settle-recontacts job will retry', {
        error: String(error),
      }),
    ),
  );
}

export type PreparedBatch = {
  received: number;
  rejected: number;
  /** One per ticket: the last copy sent, with the earliest first response of any copy. */
  tickets: NormalizedTicket[];
  /** Every copy, in order, of the tickets sent more than once. */
  copies: Map<string, NormalizedTicket[]>;
};

/**
 * Validates what the schema could not. Strictly (the API) any bad field fails the batch
 * with a 400 naming each one; leniently (an import asked to skip) bad rows are counted out.
 * Copies of one ticket are applied in order, as if sent one after another: the last wins,
 * keeping the earliest first response, as a ticket stored already would.
 */
export function prepareBatch(
  deps: Deps,
  inputs: TicketInput[],
  pathOf: PathOf,
  mode: 'strict' | 'skip' = 'strict',
): PreparedBatch & { errors: FieldError[] } {
  const { tickets, errors } = normalizeTickets(inputs, {
    timeZone: deps.config.workspaceTimeZone,
    now: deps.clock.now(),
    pathOf,
  });
  if (errors.length > 0 && mode === 'strict') {
    throw new AppError(
      'validation_failed',
      `${countOf(errors.length, 'invalid field')}; nothing was written.`,
      errors,
    );
  }
  return {
    received: inputs.length,
    rejected: inputs.length - tickets.length,
    ...collapseCopies(tickets),
    errors,
  };
}

/**
 * What a batch does to tickets stored already: `update` them to what it sends, or `keep` them
 * (counted as duplicates), for a source whose message describes a ticket as it was created
 * and may arrive after later ones (a webhook delivery retried).
 */
export type StoredTickets = 'update' | 'keep';

/** How a source's messages are applied; the API and CSV take the defaults. */
export type IngestOptions = {
  stored?: StoredTickets;
  /**
   * `kept while resolved`: a ticket stored resolved keeps its resolution time when a later
   * message still shows it resolved (solved, then closed), for a source that stamps each
   * message with its own time rather than the ticket's resolution. A message that shows it
   * unresolved (reopened) clears it either way.
   */
  resolution?: 'as sent' | 'kept while resolved';
  /**
   * When the source changed the ticket(s) as sent (a webhook event's time). A message older
   * than the one stored changes nothing but an earlier first response: the source does not
   * promise to deliver in order.
   */
  sourceUpdatedAt?: string | null;
  /** Tickets the source removed (`removeTicket`) are not stored again: counted as duplicates. */
  skipRemoved?: boolean;
};

/**
 * Writes a prepared batch inside the caller's transaction, telling `inserted` (if given) the
 * tickets it stored for the first time.
 */
export async function writeBatch(
  tx: Db,
  deps: Deps,
  batch: PreparedBatch,
  options: IngestOptions & { inserted?: (tickets: NormalizedTicket[]) => void } = {},
): Promise<IngestSummary> {
  const { stored = 'update', resolution = 'as sent' } = options;
  const removed = options.skipRemoved
    ? await removedKeys(
        tx,
        batch.tickets.map(({ source, externalId }) => ({ source, externalId })),
      )
    : new Set<string>();
  const latest =
    removed.size === 0
      ? batch.tickets
      : batch.tickets.filter((t) => !removed.has(ticketKey(t.source, t.externalId)));
  const summary: IngestSummary = {
    received: batch.received,
    inserted: 0,
    updated: 0,
    duplicates: 0,
    rejected: batch.rejected,
    repeated: [...batch.copies.values()].reduce((sum, sent) => sum + sent.length - 1, 0),
  };
  for (const key of removed) summary.duplicates += batch.copies.get(key)?.length ?? 1;
  if (latest.length === 0) return summary;

  // A new reason is labelled with the first spelling seen.
  const labels = new Map<string, string>();
  for (const t of latest)
    if (!labels.has(t.rawReasonKey)) labels.set(t.rawReasonKey, t.reasonLabel);
  const slugs = await resolveReasonSlugs(tx, labels);
  const incoming = latest.map((t) => toStored(t, slugs.get(t.rawReasonKey) ?? t.rawReasonKey));

  // Insert first: in the usual batch every ticket is new and nothing else has to be read.
  const inserted = await insertFresh(tx, incoming, deps.config.workspaceTimeZone);
  const insertedKeys = new Set(inserted.map(keyOf));
  options.inserted?.(latest.filter((t) => insertedKeys.has(ticketKey(t.source, t.externalId))));
  const seenBefore = stored === 'keep' ? [] : incoming.filter((t) => !insertedKeys.has(keyOf(t)));
  const existing = await lockExisting(tx, seenBefore);
  const changed: { before: StoredTicket; after: StoredTicket }[] = [];
  // Tickets whose content is as stored but whose source's time moved on: written, not counted.
  const advanced: StoredTicket[] = [];
  for (const incoming of seenBefore) {
    const before = existing.get(keyOf(incoming));
    if (!before) continue;
    // A first response never un-happens: the earliest one seen is kept, in any order.
    const first_response_at = earliestTime(before.first_response_at, incoming.first_response_at);
    const ticket = isOlder(incoming.source_updated_at, before.source_updated_at)
      ? { ...before, first_response_at }
      : {
          ...incoming,
          first_response_at,
          resolved_at:
            resolution === 'kept while resolved' && before.resolved_at && incoming.resolved_at
              ? before.resolved_at
              : incoming.resolved_at,
          source_updated_at: incoming.source_updated_at ?? before.source_updated_at,
        };
    if (differs(before, ticket)) changed.push({ before, after: ticket });
    else if (!sameInstant(before.source_updated_at, ticket.source_updated_at)) {
      advanced.push(ticket);
    }
  }
  await updateChanged(tx, [...changed.map((c) => c.after), ...advanced]);
  countOutcomes(summary, batch.copies, incoming, {
    insertedKeys,
    changedKeys: new Set(changed.map(({ after }) => keyOf(after))),
    existing,
  });

  const deltas: RollupDelta[] = [];
  // New tickets were queued for their re-contact flags by the insert itself.
  const points: ContactPoint[] = [];
  for (const { before, after } of changed) {
    if (
      before.reason_slug !== after.reason_slug ||
      !sameInstant(before.created_at, after.created_at)
    ) {
      deltas.push(delta(before, -1), delta(after, 1));
    }
    points.push(...contactPoint(before), ...contactPoint(after));
  }
  await applyRollupDeltas(tx, deltas, deps.config.workspaceTimeZone);
  await queueRecontactWork(tx, points);
  return summary;
}

const ticketKey = (source: string, externalId: string) => `${source}\u0000${externalId}`;
const keyOf = (t: { source: string; external_id: string }) => ticketKey(t.source, t.external_id);

function collapseCopies(tickets: NormalizedTicket[]): Omit<PreparedBatch, 'received' | 'rejected'> {
  const latest = new Map<string, NormalizedTicket>();
  const copies = new Map<string, NormalizedTicket[]>();
  for (const ticket of tickets) {
    const key = ticketKey(ticket.source, ticket.externalId);
    const previous = latest.get(key);
    if (previous) {
      const sent = copies.get(key) ?? [previous];
      sent.push(ticket);
      copies.set(key, sent);
      latest.delete(key);
      const firstResponseAt = earliestTime(previous.firstResponseAt, ticket.firstResponseAt);
      latest.set(key, { ...ticket, firstResponseAt });
    } else {
      latest.set(key, ticket);
    }
  }
  return { tickets: [...latest.values()], copies };
}

/**
 * Counts each ticket sent into the summary: inserted, updated or a duplicate of what is
 * stored. A ticket sent more than once counts each copy in order against the one before it
 * (the first against what was stored): a new ticket sent twice with a change is one insert
 * and one update. A batch that leaves a ticket as it was stored (a replay) counts every copy
 * as a duplicate.
 */
function countOutcomes(
  summary: IngestSummary,
  copies: Map<string, NormalizedTicket[]>,
  incoming: StoredTicket[],
  written: {
    insertedKeys: Set<string>;
    changedKeys: Set<string>;
    existing: Map<string, StoredTicket>;
  },
): void {
  for (const ticket of incoming) {
    const key = keyOf(ticket);
    const outcome = written.insertedKeys.has(key)
      ? 'inserted'
      : written.changedKeys.has(key)
        ? 'updated'
        : 'duplicates';
    const sent = copies.get(key);
    if (!sent || outcome === 'duplicates') {
      summary[outcome] += sent?.length ?? 1;
      continue;
    }
    let state = outcome === 'updated' ? written.existing.get(key) : undefined;
    for (const copy of sent) {
      const asSent = toStored(copy, '');
      const next = state
        ? {
            ...asSent,
            first_response_at: earliestTime(state.first_response_at, asSent.first_response_at),
          }
        : asSent;
      if (!state) summary.inserted++;
      else if (differsAsSent(state, next)) summary.updated++;
      else summary.duplicates++;
      state = next;
    }
  }
}

function toStored(t: NormalizedTicket, reasonSlug: string): StoredTicket {
  return {
    source: t.source,
    external_id: t.externalId,
    account_id: t.accountId,
    raw_reason_key: t.rawReasonKey,
    reason_slug: reasonSlug,
    sub_reason: t.subReason,
    channel: t.channel,
    created_at: t.createdAt,
    resolved_at: t.resolvedAt,
    first_response_at: t.firstResponseAt,
    csat: t.csat,
    source_updated_at: t.sourceUpdatedAt ?? null,
  };
}

function earliestTime(a: string | null, b: string | null): string | null {
  if (!a) return b;
  if (!b) return a;
  return Date.parse(a) <= Date.parse(b) ? a : b;
}

async function lockExisting(db: Db, incoming: StoredTicket[]): Promise<Map<string, StoredTicket>> {
  if (incoming.length === 0) return new Map();
  const keys = incoming.map(({ source, external_id }) => ({ source, external_id }));
  const rows = rowsOf<
    StoredTicket & {
      created_at: string | Date;
      resolved_at: string | Date | null;
      first_response_at: string | Date | null;
      source_updated_at: string | Date | null;
    }
  >(
    await db.execute(sql`
      select t.source, t.external_id, t.account_id, t.raw_reason_key, t.reason_slug, t.sub_reason,
             t.channel, t.created_at, t.resolved_at, t.first_response_at, t.csat,
             t.source_updated_at
      from tickets t
      join jsonb_to_recordset(${jsonParam(keys)}) as k(source text, external_id text)
        on t.source = k.source and t.external_id = k.external_id
      order by t.id
      for update of t`),
  );
  return new Map(
    rows.map((row) => [
      keyOf(row),
      {
        ...row,
        created_at: isoOf(row.created_at),
        resolved_at: row.resolved_at && isoOf(row.resolved_at),
        first_response_at: row.first_response_at && isoOf(row.first_response_at),
        source_updated_at: row.source_updated_at && isoOf(row.source_updated_at),
      },
    ]),
  );
}

/**
 * Inserts the tickets not stored yet, counts them into the rollups and queues them for
 * their re-contact flags in the same statement, so the batch is not sent to Postgres twice.
 * The usual batch is all new: it goes in as a plain insert, which costs Postgres less than
 * ON CONFLICT's speculative insertion per row; a duplicate anywhere undoes it (a savepoint)
 * and the batch goes in again, skipping the tickets stored already.
 */
async function insertFresh(
  db: Db,
  fresh: StoredTicket[],
  timeZone: string,
): Promise<StoredTicket[]> {
  if (fresh.length === 0) return [];
  const batch = jsonRecordsParam(fresh);
  try {
    await db.transaction((savepoint) =>
      savepoint.execute(insertStatement(batch, timeZone, 'all new')),
    );
    return fresh;
  } catch (error) {
    if (postgresCode(error) !== UNIQUE_VIOLATION) throw error;
  }
  const rows = rowsOf<{ source: string; external_id: string }>(
    await db.execute(insertStatement(batch, timeZone, 'skip stored')),
  );
  const insertedKeys = new Set(rows.map(keyOf));
  return fresh.filter((t) => insertedKeys.has(keyOf(t)));
}

const UNIQUE_VIOLATION = '23505';

function insertStatement(batch: SQL, timeZone: string, mode: 'all new' | 'skip stored') {
  return sql`
    with inserted as (
      insert into tickets (source, external_id, account_id, raw_reason_key, reason_slug,
                           sub_reason, channel, created_at, resolved_at, first_response_at, csat,
                           source_updated_at)
      select * from json_to_recordset(${batch}) as t ${TICKET_RECORD}
      order by source, external_id
      ${mode === 'skip stored' ? sql`on conflict (source, external_id) do nothing` : sql``}
      returning id, source, external_id, reason_slug, created_at
    ),
    ${rollupSteps(sql`select reason_slug, created_at, 1 as delta from inserted`, timeZone)},
    queued as (
      insert into recontact_work (first_ticket_id, last_ticket_id)
      select min(id), max(id) from inserted having count(*) > 0
    )
    ${mode === 'skip stored' ? sql`select source, external_id from inserted` : sql`select 1`}`;
}

async function updateChanged(db: Db, changed: StoredTicket[]): Promise<void> {
  if (changed.length === 0) return;
  await db.execute(sql`
    update tickets t set
      account_id = c.account_id, raw_reason_key = c.raw_reason_key, reason_slug = c.reason_slug,
      sub_reason = c.sub_reason, channel = c.channel, created_at = c.created_at,
      resolved_at = c.resolved_at, first_response_at = c.first_response_at, csat = c.csat,
      source_updated_at = c.source_updated_at
    from jsonb_to_recordset(${jsonParam(changed)}) as c ${TICKET_RECORD}
    where t.source = c.source and t.external_id = c.external_id`);
}

function differs(a: StoredTicket, b: StoredTicket): boolean {
  return a.reason_slug !== b.reason_slug || differsAsSent(a, b);
}

/** Whether what was sent differs; the slug follows the raw reason (copies are not resolved). */
function differsAsSent(a: StoredTicket, b: StoredTicket): boolean {
  return (
    a.account_id !== b.account_id ||
    a.raw_reason_key !== b.raw_reason_key ||
    a.sub_reason !== b.sub_reason ||
    a.channel !== b.channel ||
    !sameInstant(a.created_at, b.created_at) ||
    !sameInstant(a.resolved_at, b.resolved_at) ||
    !sameInstant(a.first_response_at, b.first_response_at) ||
    a.csat !== b.csat
  );
}

const sameInstant = (a: string | null, b: string | null) =>
  a === b || (a !== null && b !== null && new Date(a).getTime() === new Date(b).getTime());

const isoOf = (value: string | Date) => new Date(value).toISOString();

const delta = (t: StoredTicket, change: number): RollupDelta => ({
  reason_slug: t.reason_slug,
  created_at: t.created_at,
  delta: change,
});

const contactPoint = (t: StoredTicket): ContactPoint[] =>
  t.account_id
    ? [{ account_id: t.account_id, reason_slug: t.reason_slug, created_at: t.created_at }]
    : [];
