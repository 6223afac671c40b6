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

/**
 * Contacts per reason per day (workspace time zone), kept current at ingest beside
 * `reason_weeks`: what tells a backfill dumped on one day from a week of real contacts
 * (`findDataAnomalies`) without reading the tickets.
 */
export const reasonDays = pgTable(
  'reason_days',
  {
    reasonSlug: text('reason_slug').notNull(),
    day: date('day', { mode: 'string' }).notNull(),
    contacts: integer('contacts').notNull(),
  },
  (table) => [primaryKey({ columns: [table.reasonSlug, table.day] })],
);
