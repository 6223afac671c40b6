import { pgTable, text } from 'drizzle-orm/pg-core';
import { createdAt, timestamptz } from './columns';

/** A normalised contact reason; tickets point at it by slug. */
export const reasons = pgTable('reasons', {
  slug: text('slug').primaryKey(),
  label: text('label').notNull(),
  createdAt: createdAt(),
  updatedAt: timestamptz('updated_at').notNull().defaultNow(),
});

export type ReasonRow = typeof reasons.$inferSelect;
