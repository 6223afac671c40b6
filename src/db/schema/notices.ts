import { sql } from 'drizzle-orm';
import { check, index, pgTable, primaryKey, text, uuid } from 'drizzle-orm/pg-core';
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
