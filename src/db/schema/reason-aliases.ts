import { index, pgTable, text } from 'drizzle-orm/pg-core';
import { createdAt } from './columns';
import { reasons } from './reasons';

/** A raw reason as it arrives (a tag, a field value), by its slug, mapped to a reason. */
export const reasonAliases = pgTable(
  'reason_aliases',
  {
    alias: text('alias').primaryKey(),
    reasonSlug: text('reason_slug')
      .notNull()
      .references(() => reasons.slug, { onDelete: 'cascade' }),
    createdAt: createdAt(),
  },
  (table) => [index('reason_aliases_reason_slug_idx').on(table.reasonSlug)],
);
