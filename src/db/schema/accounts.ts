import { sql } from 'drizzle-orm';
import { index, jsonb, pgTable, primaryKey, text } from 'drizzle-orm/pg-core';
import { createdAt, timestamptz } from './columns';

/** A customer the product knows, keyed by the product's own account id. */
export const accounts = pgTable(
  'accounts',
  {
    id: text('id').primaryKey(),
    plan: text('plan'),
    region: text('region'),
    /** Product components the account uses; outage banners target accounts by these. */
    components: jsonb('components').$type<string[]>().notNull().default([]),
    locale: text('locale'),
    timeZone: text('time_zone'),
    attributes: jsonb('attributes').$type<Record<string, unknown>>().notNull().default({}),
    /** Silent loss after a campaign: when the account left, or moved to a cheaper plan. */
    churnedAt: timestamptz('churned_at'),
    downgradedAt: timestamptz('downgraded_at'),
    createdAt: createdAt(),
    updatedAt: timestamptz('updated_at').notNull().defaultNow(),
  },
  (table) => [index('accounts_components_idx').using('gin', sql`${table.components}`)],
);

export const accountContacts = pgTable(
  'account_contacts',
  {
    accountId: text('account_id')
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    /** The address lower-cased (`emailKey`): what every comparison of addresses reads. */
    email: text('email').notNull(),
    /**
     * The address as the sync gave it, which emails are sent to and the API shows; null on
     * contacts stored before it was kept, whose `email` is then all there is.
     */
    emailAsGiven: text('email_as_given'),
    name: text('name'),
    locale: text('locale'),
  },
  (table) => [
    primaryKey({ columns: [table.accountId, table.email] }),
    // An account's sync finds the other accounts with one of its addresses.
    index('account_contacts_email_idx').on(table.email),
  ],
);

export type AccountRow = typeof accounts.$inferSelect;
export type AccountContactRow = typeof accountContacts.$inferSelect;
