import { sql } from 'drizzle-orm';
import { bigint, check, index, jsonb, pgTable, primaryKey, text, uuid } from 'drizzle-orm/pg-core';
import { accounts } from './accounts';
import { campaigns } from './campaigns';
import { timestamptz } from './columns';

export const noticeDismissals = pgTable(
  'notice_dismissals',
  {
    accountId: text('account_id')
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    campaignId: uuid('campaign_id')
      .notNull()
      .references(() => campaigns.id, { onDelete: 'cascade' }),
    dismissedAt: timestamptz('dismissed_at').notNull(),
  },
  (table) => [primaryKey({ columns: [table.accountId, table.campaignId] })],
);

export const EXPOSURE_GROUPS = ['treated', 'holdout'] as const;
export type ExposureGroup = (typeof EXPOSURE_GROUPS)[number];

/**
 * The first time an account in a campaign's audience was shown it (treated) or would have
 * been (holdout). Kept when an account is deleted: measurement needs the group sizes.
 */
export const exposures = pgTable(
  'exposures',
  {
    campaignId: uuid('campaign_id')
      .notNull()
      .references(() => campaigns.id, { onDelete: 'cascade' }),
    accountId: text('account_id').notNull(),
    group: text('group', { enum: EXPOSURE_GROUPS }).notNull(),
    channel: text('channel').notNull(),
    firstAt: timestamptz('first_at').notNull(),
  },
  (table) => [
    primaryKey({ columns: [table.campaignId, table.accountId] }),
    check('exposures_group_check', sql`${table.group} in ('treated', 'holdout')`),
    index('exposures_account_idx').on(table.accountId),
  ],
);

/**
 * What the notices API saw, appended cheaply on the hot path: one row per account whose set
 * of live campaigns changed, listing the campaigns it was shown and those that held it out.
 * A job folds it into `exposures` (first view per campaign and account) and empties it.
 */
export const exposureLog = pgTable('exposure_log', {
  id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
  accountId: text('account_id').notNull(),
  channel: text('channel').notNull(),
  seenAt: timestamptz('seen_at').notNull(),
  treated: jsonb('treated').$type<string[]>().notNull(),
  heldOut: jsonb('held_out').$type<string[]>().notNull(),
});
