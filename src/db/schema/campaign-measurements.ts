import { integer, jsonb, pgTable, uuid } from 'drizzle-orm/pg-core';
import type { ObservationalEstimate } from '../../modules/impact/observational-estimate';
import type { StoredMeasurement } from '../../modules/impact/stored-measurements';
import { campaigns } from './campaigns';
import { timestamptz } from './columns';

/**
 * A campaign's measurement as the `measure-campaigns` job last took it (the sums over its
 * exposed accounts' contacts up to `window_end`, and the observational estimate for a
 * campaign without a holdout), so the leaders' report reads it instead of joining every
 * exposure with every ticket on a request. `method_version` says which version of the
 * measuring code stored it (`MEASUREMENT_METHOD_VERSION`) and `observational_version`, for a
 * campaign without a holdout, which version of the estimator (`OBSERVATIONAL_METHOD_VERSION`):
 * a row of another one reads as missing.
 */
export const campaignMeasurements = pgTable('campaign_measurements', {
  campaignId: uuid('campaign_id')
    .primaryKey()
    .references(() => campaigns.id, { onDelete: 'cascade' }),
  windowEnd: timestamptz('window_end').notNull(),
  measuredAt: timestamptz('measured_at').notNull(),
  measurement: jsonb('measurement').$type<StoredMeasurement>().notNull(),
  observational: jsonb('observational').$type<ObservationalEstimate>(),
  methodVersion: integer('method_version').notNull(),
  observationalVersion: integer('observational_version'),
});
