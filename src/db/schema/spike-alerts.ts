import { date, index, integer, jsonb, pgTable, real, text, unique } from 'drizzle-orm/pg-core';
import type { SpikeView } from '../../modules/spikes/spike-schemas';
import { idColumn, timestamptz } from './columns';

/** Spikes found by the weekly detection job: the history ops are alerted from. */
export const spikeAlerts = pgTable(
  'spike_alerts',
  {
    id: idColumn(),
    reasonSlug: text('reason_slug').notNull(),
    week: date('week', { mode: 'string' }).notNull(),
    observed: integer('observed').notNull(),
    expected: real('expected').notNull(),
    excess: real('excess').notNull(),
    probability: real('probability').notNull(),
    severity: text('severity', { enum: ['low', 'medium', 'high'] }).notNull(),
    method: text('method', { enum: ['ears_c2', 'count_model'] }).notNull(),
    events: jsonb('events').$type<SpikeView['events']>().notNull().default([]),
    unexplained: real('unexplained').notNull(),
    detectedAt: timestamptz('detected_at').notNull(),
    notifiedAt: timestamptz('notified_at'),
  },
  (table) => [
    unique('spike_alerts_reason_week_key').on(table.reasonSlug, table.week),
    index('spike_alerts_week_idx').on(table.week),
  ],
);

export type SpikeAlertRow = typeof spikeAlerts.$inferSelect;
