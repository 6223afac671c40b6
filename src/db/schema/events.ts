import { index, integer, jsonb, pgTable, text, unique } from 'drizzle-orm/pg-core';
import { createdAt, idColumn, timestamptz } from './columns';

export const EVENT_KINDS = [
  'billing_run',
  'price_change',
  'release',
  'maintenance',
  'holiday',
  'outage',
  'other',
] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

/** Something on the calendar that drives contacts: one window, optionally recurring. */
export const events = pgTable(
  'events',
  {
    id: idColumn(),
    kind: text('kind', { enum: EVENT_KINDS }).notNull(),
    title: text('title').notNull(),
    startsAt: timestamptz('starts_at').notNull(),
    endsAt: timestamptz('ends_at').notNull(),
    /** RFC 5545 RRULE (without DTSTART: the first window's start is DTSTART). */
    rrule: text('rrule'),
    /** IANA zone whose local time a recurring event keeps; null: the workspace's. */
    timeZone: text('time_zone'),
    /**
     * A recurring event's starts taken out (RFC 5545 EXDATE): ISO instants, each matching the
     * start at that instant, or days (YYYY-MM-DD), each matching the start on that day in the
     * event's zone. Sorted, each once.
     */
    excludedStarts: jsonb('excluded_starts').$type<string[]>().notNull().default([]),
    /** A recurring event's starts added beside its rule (RFC 5545 RDATE): ISO instants. */
    extraStarts: jsonb('extra_starts').$type<string[]>().notNull().default([]),
    /** Days before each window and after it in which the event still moves contacts. */
    leadDays: integer('lead_days').notNull().default(0),
    lagDays: integer('lag_days').notNull().default(0),
    affectedReasons: jsonb('affected_reasons').$type<string[]>().notNull().default([]),
    audience: jsonb('audience').$type<Record<string, unknown> | null>(),
    /** Where an imported event came from, so importing again updates instead of duplicating. */
    origin: text('origin').notNull().default('manual'),
    originId: text('origin_id'),
    /**
     * The event's ETag, which `If-Match` compares. Kept by the database (trigger
     * `events_version`, drizzle/0030): any update that changes what the API shows moves it.
     * Not `updated_at`: the clock gives two writes in one millisecond, or from two instances
     * whose clocks differ, the same time, and a validator must differ.
     */
    version: integer('version').notNull().default(1),
    createdAt: createdAt(),
    updatedAt: timestamptz('updated_at').notNull().defaultNow(),
  },
  (table) => [
    unique('events_origin_key').on(table.origin, table.originId),
    index('events_starts_at_idx').on(table.startsAt),
  ],
);

export type EventRow = typeof events.$inferSelect;
