import {
  type AnyPgColumn,
  boolean,
  check,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { campaigns } from './campaigns';
import { createdAt, idColumn, isOneOf, timestamptz } from './columns';

export const COMPONENT_STATUSES = [
  'operational',
  'degraded_performance',
  'partial_outage',
  'major_outage',
  'under_maintenance',
] as const;
export type ComponentStatus = (typeof COMPONENT_STATUSES)[number];

export const INCIDENT_STATUSES = ['investigating', 'identified', 'monitoring', 'resolved'] as const;
export const MAINTENANCE_STATUSES = ['scheduled', 'in_progress', 'verifying', 'completed'] as const;
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];
export type MaintenanceStatus = (typeof MAINTENANCE_STATUSES)[number];

export const IMPACTS = ['none', 'minor', 'major', 'critical'] as const;
/** Statuspage gives scheduled maintenance the impact `maintenance`. */
export type Impact = (typeof IMPACTS)[number] | 'maintenance';

/** A part of the product on the status page; a group holds components one level deep. */
export const statusComponents = pgTable(
  'status_components',
  {
    id: idColumn(),
    name: text('name').notNull().unique(),
    description: text('description'),
    isGroup: boolean('is_group').notNull().default(false),
    groupId: uuid('group_id').references((): AnyPgColumn => statusComponents.id, {
      onDelete: 'set null',
    }),
    position: integer('position').notNull().default(0),
    status: text('status', { enum: COMPONENT_STATUSES }).notNull().default('operational'),
    onlyShowIfDegraded: boolean('only_show_if_degraded').notNull().default(false),
    createdAt: createdAt(),
    updatedAt: timestamptz('updated_at').notNull().defaultNow(),
  },
  (table) => [check('status_components_status_check', isOneOf(table.status, COMPONENT_STATUSES))],
);

/**
 * Incidents and scheduled maintenance share one table (`kind`), as they share one shape on
 * the public API. A maintenance's status moves with its window unless `auto_transition` is off.
 */
export const incidents = pgTable(
  'incidents',
  {
    id: idColumn(),
    kind: text('kind', { enum: ['incident', 'maintenance'] }).notNull(),
    name: text('name').notNull(),
    status: text('status').notNull(),
    impact: text('impact').$type<Impact>().notNull(),
    scheduledFor: timestamptz('scheduled_for'),
    scheduledUntil: timestamptz('scheduled_until'),
    autoTransition: boolean('auto_transition').notNull().default(true),
    /** The banner that tells affected accounts; ended when this resolves. */
    campaignId: uuid('campaign_id').references(() => campaigns.id, { onDelete: 'set null' }),
    createdAt: createdAt(),
    updatedAt: timestamptz('updated_at').notNull().defaultNow(),
    monitoringAt: timestamptz('monitoring_at'),
    resolvedAt: timestamptz('resolved_at'),
    /**
     * Counts the changes (the ETag, `If-Match`), moved by the database (trigger
     * `incidents_version`, drizzle/0046): any update of what the API shows of the row, and any
     * update posted to it, moves it.
     */
    version: integer('version').notNull().default(1),
  },
  (table) => [index('incidents_kind_created_idx').on(table.kind, table.createdAt)],
);

export type AffectedComponent = {
  code: string;
  name: string;
  old_status: ComponentStatus;
  new_status: ComponentStatus;
};

export const incidentUpdates = pgTable(
  'incident_updates',
  {
    id: idColumn(),
    incidentId: uuid('incident_id')
      .notNull()
      .references(() => incidents.id, { onDelete: 'cascade' }),
    status: text('status').notNull(),
    body: text('body').notNull(),
    affectedComponents: jsonb('affected_components').$type<AffectedComponent[]>().notNull(),
    createdAt: createdAt(),
  },
  (table) => [index('incident_updates_incident_idx').on(table.incidentId, table.createdAt)],
);

export const incidentComponents = pgTable(
  'incident_components',
  {
    incidentId: uuid('incident_id')
      .notNull()
      .references(() => incidents.id, { onDelete: 'cascade' }),
    componentId: uuid('component_id')
      .notNull()
      .references(() => statusComponents.id, { onDelete: 'cascade' }),
  },
  (table) => [primaryKey({ columns: [table.incidentId, table.componentId] })],
);

export type StatusComponentRow = typeof statusComponents.$inferSelect;
export type IncidentRow = typeof incidents.$inferSelect;
export type IncidentUpdateRow = typeof incidentUpdates.$inferSelect;

/**
 * Every status a component has had, from when it had it, written by a trigger on
 * `status_components` so every path that changes a status is recorded: uptime reads this.
 */
export const componentStatusChanges = pgTable(
  'component_status_changes',
  {
    componentId: uuid('component_id')
      .notNull()
      .references(() => statusComponents.id, { onDelete: 'cascade' }),
    status: text('status', { enum: COMPONENT_STATUSES }).notNull(),
    changedAt: timestamptz('changed_at').notNull(),
  },
  (table) => [index('component_status_changes_idx').on(table.componentId, table.changedAt)],
);

/** Readers who asked for status updates by email; only confirmed addresses get them. */
export const statusSubscribers = pgTable('status_subscribers', {
  id: idColumn(),
  /** The address lower-cased (`emailKey`): one subscription per mailbox, however spelt. */
  email: text('email').notNull().unique(),
  /** The address as the reader typed it, sent to; null on subscriptions made before. */
  emailAsGiven: text('email_as_given'),
  confirmedAt: timestamptz('confirmed_at'),
  createdAt: createdAt(),
});

/**
 * Requests to subscribe, counted per fixed window and bucket (a client address, a mailbox's
 * hash, or `all`), shared by every instance; rows of past windows are deleted by a job.
 */
export const statusSubscribeCounts = pgTable(
  'status_subscribe_counts',
  {
    bucket: text('bucket').notNull(),
    windowStart: timestamptz('window_start').notNull(),
    hits: integer('hits').notNull(),
  },
  (t) => [primaryKey({ columns: [t.bucket, t.windowStart] })],
);

export const STATUS_NOTIFICATION_KINDS = ['confirm', 'update'] as const;

/**
 * One email owed to one subscriber: the opt-in request or an incident update. Senders claim
 * rows into a batch (`batch_id`) and retry a batch with the same idempotency key until sent.
 */
export const statusNotifications = pgTable(
  'status_notifications',
  {
    id: idColumn(),
    subscriberId: uuid('subscriber_id')
      .notNull()
      .references(() => statusSubscribers.id, { onDelete: 'cascade' }),
    kind: text('kind', { enum: STATUS_NOTIFICATION_KINDS }).notNull(),
    incidentUpdateId: uuid('incident_update_id').references(() => incidentUpdates.id, {
      onDelete: 'cascade',
    }),
    batchId: uuid('batch_id'),
    claimedAt: timestamptz('claimed_at'),
    sentAt: timestamptz('sent_at'),
    /** The provider's id for the email, so its bounces and complaints find the address. */
    providerId: text('provider_id'),
    createdAt: createdAt(),
  },
  (table) => [
    uniqueIndex('status_notifications_update_idx').on(table.incidentUpdateId, table.subscriberId),
    index('status_notifications_pending_idx').on(table.sentAt, table.batchId),
    index('status_notifications_provider_idx').on(table.providerId),
  ],
);

/**
 * Endpoints that get every incident and maintenance update as a signed POST. The secret
 * signs each body, so it is kept (never shown again after creation, never logged).
 */
export const statusWebhooks = pgTable('status_webhooks', {
  id: idColumn(),
  url: text('url').notNull(),
  secret: text('secret').notNull(),
  createdAt: createdAt(),
});

/** One update owed to one endpoint, retried with backoff until delivered or given up. */
export const statusWebhookDeliveries = pgTable(
  'status_webhook_deliveries',
  {
    webhookId: uuid('webhook_id')
      .notNull()
      .references(() => statusWebhooks.id, { onDelete: 'cascade' }),
    incidentUpdateId: uuid('incident_update_id')
      .notNull()
      .references(() => incidentUpdates.id, { onDelete: 'cascade' }),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: timestamptz('next_attempt_at').notNull(),
    lastError: text('last_error'),
    deliveredAt: timestamptz('delivered_at'),
    failedAt: timestamptz('failed_at'),
  },
  (table) => [
    primaryKey({ columns: [table.webhookId, table.incidentUpdateId] }),
    index('status_webhook_deliveries_due_idx').on(table.deliveredAt, table.nextAttemptAt),
  ],
);
