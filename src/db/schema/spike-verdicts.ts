import { sql } from 'drizzle-orm';
import {
  bigserial,
  date,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  real,
  text,
} from 'drizzle-orm/pg-core';
import type { Attribution, Explanation } from '../../modules/spikes/detect';
import { timestamptz } from './columns';

/**
 * One reason's stored verdicts, a week per array element from `first_week`: the baseline
 * (event-free expected contacts), the usual count with that week's events, the p-value and a
 * status letter (`t` tested, `n` new, `a` data anomaly, `-` nothing yet). Written by the
 * detection refresh, read by every range query; one row per reason keeps a full recompute to
 * a few dozen rows.
 */
export const reasonVerdicts = pgTable('reason_verdicts', {
  reasonSlug: text('reason_slug').primaryKey(),
  firstWeek: date('first_week', { mode: 'string' }).notNull(),
  observed: integer('observed').array().notNull(),
  expected: real('expected').array().notNull(),
  usual: real('usual').array().notNull(),
  probability: real('probability').array().notNull(),
  status: text('status').notNull(),
  history: integer('history').array().notNull(),
  /** Why weeks above their usual count rose (week index → attributions), for alerts. */
  explanations: jsonb('explanations').$type<Record<string, Explanation>>().notNull(),
  /** Digest of the stored verdicts: a recompute rewrites only the rows whose digest changed. */
  digest: text('digest').notNull().default(''),
  /** When these verdicts were last computed differently (an unchanged recompute keeps it). */
  computedAt: timestamptz('computed_at').notNull(),
});

/** Weeks flagged as spikes (Benjamini–Hochberg across the reasons tested that week). */
export const spikeWeeks = pgTable(
  'spike_weeks',
  {
    reasonSlug: text('reason_slug').notNull(),
    week: date('week', { mode: 'string' }).notNull(),
    observed: integer('observed').notNull(),
    expected: real('expected').notNull(),
    usual: real('usual').notNull(),
    probability: real('probability').notNull(),
    stage: text('stage', { enum: ['short', 'model'] }).notNull(),
    events: jsonb('events').$type<Attribution[]>().notNull().default(sql`'[]'::jsonb`),
    unexplained: real('unexplained').notNull(),
  },
  (table) => [
    primaryKey({ columns: [table.reasonSlug, table.week] }),
    index('spike_weeks_week_idx').on(table.week),
  ],
);

/** Days on which reasons jumped together (a backfill, a re-import): left out of baselines. */
export const dataAnomalies = pgTable(
  'data_anomalies',
  {
    reasonSlug: text('reason_slug').notNull(),
    day: date('day', { mode: 'string' }).notNull(),
    week: date('week', { mode: 'string' }).notNull(),
    contacts: integer('contacts').notNull(),
  },
  (table) => [
    primaryKey({ columns: [table.reasonSlug, table.day] }),
    index('data_anomalies_week_idx').on(table.week),
  ],
);

/**
 * What changed since verdicts were computed: a reason (or every reason, `reason_slug` null)
 * from a week on. Appended by triggers on the weekly rollup and the events, consumed by the
 * detection refresh.
 */
export const detectionChanges = pgTable('detection_changes', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  reasonSlug: text('reason_slug'),
  fromWeek: date('from_week', { mode: 'string' }).notNull(),
  changedAt: timestamptz('changed_at').notNull().defaultNow(),
});
