import { jsonb, pgTable, uuid } from 'drizzle-orm/pg-core';
import { campaigns } from './campaigns';
import { timestamptz } from './columns';

/**
 * A campaign's measurement as the `measure-campaigns` job last took it (the sums over its
 * exposed accounts' contacts up to `window_end`, and the observational estimate for a
 * campaign without a holdout), so the leaders' report reads it instead of joining every
 * exposure with every ticket on a request.
 */
export const campaignMeasurements = pgTable('campaign_measurements', {
  campaignId: uuid('campaign_id')
    .primaryKey()
    .references(() => campaigns.id, { onDelete: 'cascade' }),
  windowEnd: timestamptz('window_end').notNull(),
  measuredAt: timestamptz('measured_at').notNull(),
  measurement: jsonb('measurement').notNull(),
  observational: jsonb('observational'),
});
