import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  check,
  index,
  jsonb,
  pgTable,
  smallint,
  text,
  unique,
} from 'drizzle-orm/pg-core';
import { timestamptz } from './columns';
import { reasons } from './reasons';

export const tickets = pgTable(
  'tickets',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    source: text('source').notNull(),
    externalId: text('external_id').notNull(),
    accountId: text('account_id'),
    /** The reason as received; kept so alias changes can re-map tickets later. */
    rawReasonKey: text('raw_reason_key').notNull(),
    reasonSlug: text('reason_slug')
      .notNull()
      .references(() => reasons.slug),
    subReason: text('sub_reason'),
    channel: text('channel'),
    createdAt: timestamptz('created_at').notNull(),
    resolvedAt: timestamptz('resolved_at'),
    /** When an agent first answered; the queue's speed for the contacts that still came in. */
    firstResponseAt: timestamptz('first_response_at'),
    csat: smallint('csat'),
    /**
     * When the source last changed the ticket, as the latest event applied says (Zendesk's
     * `updated_at`): an older event delivered after it changes nothing. Null for the API and CSV.
     */
    sourceUpdatedAt: timestamptz('source_updated_at'),
    isRecontact: boolean('is_recontact').notNull().default(false),
    ingestedAt: timestamptz('ingested_at').notNull().defaultNow(),
  },
  (table) => [
    unique('tickets_source_external_id_key').on(table.source, table.externalId),
    index('tickets_account_reason_created_idx').on(
      table.accountId,
      table.reasonSlug,
      table.createdAt,
    ),
    index('tickets_raw_reason_key_idx').on(table.rawReasonKey),
    // Data-anomaly checks count a reason's tickets by day in a few suspect weeks.
    index('tickets_reason_created_idx').on(table.reasonSlug, table.createdAt),
    // Period reports and observational windows read tickets by time across accounts.
    index('tickets_created_idx').on(table.createdAt),
    check('tickets_csat_check', sql`${table.csat} between 1 and 5`),
    check(
      'tickets_first_response_check',
      sql`${table.firstResponseAt} is null or ${table.firstResponseAt} >= ${table.createdAt}`,
    ),
  ],
);

export type TicketRow = typeof tickets.$inferSelect;

/**
 * Tickets whose re-contact flags (and their neighbours') still have to be re-derived: one
 * row per ingest, written in the ingest's transaction, so nothing is lost on a crash: the id
 * range of the tickets it inserted, or the contact points of tickets it changed (their old
 * values are gone from `tickets`). `settleRecontacts` works them off right after the ingest,
 * and before anything reads flags.
 */
export const recontactWork = pgTable(
  'recontact_work',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    points: jsonb('points'),
    firstTicketId: bigint('first_ticket_id', { mode: 'number' }),
    lastTicketId: bigint('last_ticket_id', { mode: 'number' }),
    createdAt: timestamptz('created_at').notNull().defaultNow(),
  },
  (table) => {
    const idRange = sql`${table.firstTicketId} is not null and ${table.lastTicketId} is not null`;
    return [check('recontact_work_one_kind_check', sql`(${table.points} is null) = (${idRange})`)];
  },
);
