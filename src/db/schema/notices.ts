import { sql } from 'drizzle-orm';
import {
  bigint,
  check,
  customType,
  index,
  jsonb,
  pgTable,
  primaryKey,
  text,
  uuid,
} from 'drizzle-orm/pg-core';
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
  (table) => [
    primaryKey({ columns: [table.accountId, table.campaignId] }),
    // A campaign's dismissals (the console counts them; deleting a campaign cascades to them):
    // the key starts with the account, so without this every campaign's were read.
    index('notice_dismissals_campaign_idx').on(table.campaignId, table.accountId),
  ],
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

/** A 64-bit transaction id, compared as text on the way in and out. */
const xid8 = customType<{ data: string }>({ dataType: () => 'xid8' });

/**
 * Which accounts changed, by the transaction that changed them: triggers on `accounts` and
 * `notice_dismissals` append here (a null account means "all of them", after a TRUNCATE).
 * Each instance reads it to drop what it cached of those accounts; see `account-cache.ts`.
 */
export const accountChanges = pgTable(
  'account_changes',
  {
    xid: xid8('xid').notNull().default(sql`pg_current_xact_id()`),
    accountId: text('account_id'),
    changedAt: timestamptz('changed_at').notNull().defaultNow(),
  },
  (table) => [
    index('account_changes_xid_idx').on(table.xid),
    index('account_changes_changed_at_idx').on(table.changedAt),
  ],
);
