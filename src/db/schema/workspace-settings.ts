import { pgTable, text } from 'drizzle-orm/pg-core';
import { timestamptz } from './columns';

/** Facts about how stored data was derived, e.g. the time zone the weekly rollup uses. */
export const workspaceSettings = pgTable('workspace_settings', {
  key: text('key').primaryKey(),
  value: text('value').notNull(),
  updatedAt: timestamptz('updated_at').notNull().defaultNow(),
});
