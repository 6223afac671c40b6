import { pgTable, primaryKey, text } from 'drizzle-orm/pg-core';
import { timestamptz } from './columns';

/**
 * Tickets the source took back as contacts (deleted, spam, merged into another): their rows
 * are gone from `tickets`, so every count and metric drops them; this row keeps a retried or
 * late event about them from storing them again.
 */
export const removedTickets = pgTable(
  'removed_tickets',
  {
    source: text('source').notNull(),
    externalId: text('external_id').notNull(),
    /** `deleted`, `spam` or `merged`. */
    why: text('why').notNull(),
    /** When the source removed it, as its event says; an older event about it changes nothing. */
    sourceUpdatedAt: timestamptz('source_updated_at'),
    removedAt: timestamptz('removed_at').notNull().defaultNow(),
  },
  (table) => [primaryKey({ columns: [table.source, table.externalId] })],
);
