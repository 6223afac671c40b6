import { date, integer, pgTable, primaryKey, text } from 'drizzle-orm/pg-core';

/**
 * Contacts per reason per ISO week (Monday, workspace time zone), kept current at ingest so
 * weekly series and spike detection never scan the tickets table.
 */
export const reasonWeeks = pgTable(
  'reason_weeks',
  {
    reasonSlug: text('reason_slug').notNull(),
    week: date('week', { mode: 'string' }).notNull(),
    contacts: integer('contacts').notNull(),
  },
  (table) => [primaryKey({ columns: [table.reasonSlug, table.week] })],
);
