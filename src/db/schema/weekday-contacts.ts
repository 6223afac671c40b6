import { date, integer, pgTable, primaryKey, smallint } from 'drizzle-orm/pg-core';

/**
 * Contacts per ISO week and day of the week (1 Monday … 7 Sunday, workspace time zone), all
 * reasons together: the workspace's weekly rhythm, which tells detection how much of a week
 * an event on a given day touches. Kept current at ingest beside `reason_weeks`.
 */
export const weekdayContacts = pgTable(
  'weekday_contacts',
  {
    week: date('week', { mode: 'string' }).notNull(),
    weekday: smallint('weekday').notNull(),
    contacts: integer('contacts').notNull(),
  },
  (table) => [primaryKey({ columns: [table.week, table.weekday] })],
);
