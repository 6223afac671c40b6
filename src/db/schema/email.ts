import { sql } from 'drizzle-orm';
import { check, index, integer, jsonb, pgTable, text, unique, uuid } from 'drizzle-orm/pg-core';
import { campaigns } from './campaigns';
import { createdAt, idColumn, isOneOf, timestamptz } from './columns';

export const DELIVERY_STATUSES = [
  'queued',
  'sending',
  'sent',
  'delivered',
  'bounced',
  'complained',
  'failed',
  'cancelled',
  'suppressed',
] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/**
 * One email to one recipient of a campaign: the outbox. A sender claims due rows as a batch
 * (`batch_key`, leased until `lease_until`); a batch keeps its members and its key until
 * Resend has answered, so a retry after a crash or a timeout is the same request and Resend's
 * idempotency makes it harmless.
 */
export const emailDeliveries = pgTable(
  'email_deliveries',
  {
    id: idColumn(),
    campaignId: uuid('campaign_id')
      .notNull()
      .references(() => campaigns.id, { onDelete: 'cascade' }),
    accountId: text('account_id').notNull(),
    /** The recipient's address lower-cased (`emailKey`), as suppressions and contacts hold it. */
    email: text('email').notNull(),
    /** The address as its contact gave it, sent to; null on deliveries planned before. */
    emailAsGiven: text('email_as_given'),
    name: text('name'),
    locale: text('locale'),
    timeZone: text('time_zone').notNull(),
    /** When the linked event's occurrence starts, shown in the email in the recipient's zone. */
    eventAt: timestamptz('event_at'),
    /**
     * The planning run that last wanted this delivery; queued ones it did not want are cancelled.
     */
    planId: uuid('plan_id').notNull(),
    status: text('status', { enum: DELIVERY_STATUSES }).notNull(),
    /** When it is due; follows the campaign while it is queued. */
    scheduledFor: timestamptz('scheduled_for').notNull(),
    /** This delivery's own idempotency key; a batch's key is derived from its members'. */
    idempotencyKey: text('idempotency_key').notNull().unique(),
    batchKey: text('batch_key'),
    leaseUntil: timestamptz('lease_until'),
    attempts: integer('attempts').notNull().default(0),
    providerId: text('provider_id'),
    error: text('error'),
    sentAt: timestamptz('sent_at'),
    updatedAt: timestamptz('updated_at').notNull(),
    createdAt: createdAt(),
  },
  (table) => [
    unique('email_deliveries_recipient_unique').on(table.campaignId, table.email),
    check('email_deliveries_status_check', isOneOf(table.status, DELIVERY_STATUSES)),
    index('email_deliveries_due_idx').on(table.scheduledFor).where(sql`${table.status} = 'queued'`),
    index('email_deliveries_leased_idx')
      .on(table.leaseUntil)
      .where(sql`${table.status} = 'sending'`),
    index('email_deliveries_provider_idx').on(table.providerId),
    index('email_deliveries_batch_idx').on(table.batchKey),
    // An account's sync finds the emails still queued for it, in every campaign.
    index('email_deliveries_queued_account_idx')
      .on(table.accountId)
      .where(sql`${table.status} = 'queued'`),
    // A campaign's first email starts its exposure period (see exposure-period.ts).
    index('email_deliveries_campaign_sent_idx')
      .on(table.campaignId, table.sentAt)
      .where(sql`${table.sentAt} is not null`),
  ],
);

export const SUPPRESSION_REASONS = ['bounced', 'complained', 'unsubscribed'] as const;
export type SuppressionReason = (typeof SUPPRESSION_REASONS)[number];

/** Addresses no campaign email goes to again. */
export const emailSuppressions = pgTable('email_suppressions', {
  email: text('email').primaryKey(),
  reason: text('reason', { enum: SUPPRESSION_REASONS }).notNull(),
  campaignId: uuid('campaign_id'),
  createdAt: createdAt(),
});

/** Resend webhook deliveries already applied, by `svix-id` (Resend retries with the same id). */
export const webhookReceipts = pgTable('webhook_receipts', {
  id: text('id').primaryKey(),
  source: text('source').notNull(),
  type: text('type').notNull(),
  receivedAt: timestamptz('received_at').notNull(),
});

/** What the local `outbox` transport would have sent: the rendered message, kept for ops to see. */
export const outboxMessages = pgTable(
  'outbox_messages',
  {
    id: idColumn(),
    deliveryId: uuid('delivery_id').notNull().unique(),
    /** Null for messages that belong to no campaign (the weekly report digest). */
    campaignId: uuid('campaign_id'),
    to: text('to').notNull(),
    from: text('from').notNull(),
    subject: text('subject').notNull(),
    html: text('html').notNull(),
    text: text('text').notNull(),
    headers: jsonb('headers').$type<Record<string, string>>().notNull(),
    createdAt: createdAt(),
  },
  (table) => [index('outbox_messages_campaign_idx').on(table.campaignId, table.id)],
);

export type EmailDeliveryRow = typeof emailDeliveries.$inferSelect;
