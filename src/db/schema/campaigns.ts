import { sql } from 'drizzle-orm';
import { check, index, integer, jsonb, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import type { Audience } from '../../modules/campaigns/audience';
import { createdAt, idColumn, timestamptz } from './columns';
import { events } from './events';

export const CAMPAIGN_CHANNELS = ['banner', 'status', 'email'] as const;
export type CampaignChannel = (typeof CAMPAIGN_CHANNELS)[number];

export const SEVERITIES = ['info', 'warning', 'critical', 'maintenance'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Content in one locale; the campaign's own fields are the default locale's. */
export type LocaleVariant = {
  title: string;
  body: string;
  body_html: string;
  cta_label: string | null;
};

export const EMAIL_TEMPLATES = ['announcement', 'outage', 'maintenance', 'billing'] as const;
export type EmailTemplate = (typeof EMAIL_TEMPLATES)[number];

/** When and how an email campaign is sent; times of day are `HH:MM` in each recipient's zone. */
export type EmailSettings = {
  template: EmailTemplate;
  subject: string | null;
  /** An absolute send time; with neither this nor `before_event`, the campaign's start. */
  send_at: string | null;
  /** Relative to the next occurrence of the linked event. */
  before_event: { days: number; hours: number } | null;
  local_time: string | null;
  send_window: { from: string; to: string } | null;
};

/**
 * One proactive communication for every channel. Its lifecycle state is not stored: it
 * follows from `published_at`, `cancelled_at`, the window and the clock, so a banner appears
 * and disappears on time without any job running.
 */
export const campaigns = pgTable(
  'campaigns',
  {
    id: idColumn(),
    channels: jsonb('channels').$type<CampaignChannel[]>().notNull(),
    title: text('title').notNull(),
    bodyMarkdown: text('body_markdown').notNull(),
    bodyHtml: text('body_html').notNull(),
    severity: text('severity', { enum: SEVERITIES }).notNull(),
    ctaLabel: text('cta_label'),
    ctaUrl: text('cta_url'),
    locales: jsonb('locales').$type<Record<string, LocaleVariant>>().notNull().default({}),
    /** Null on a draft that starts when it is published. */
    startsAt: timestamptz('starts_at'),
    endsAt: timestamptz('ends_at'),
    audience: jsonb('audience').$type<Audience>().notNull(),
    eventId: uuid('event_id').references(() => events.id, { onDelete: 'set null' }),
    targetReasons: jsonb('target_reasons').$type<string[]>().notNull().default([]),
    holdoutPercent: integer('holdout_percent').notNull().default(0),
    email: jsonb('email').$type<EmailSettings>(),
    /** `manual`, or the status incident / maintenance that opened this banner. */
    origin: text('origin').notNull().default('manual'),
    originId: uuid('origin_id'),
    publishedAt: timestamptz('published_at'),
    cancelledAt: timestamptz('cancelled_at'),
    /**
     * The campaign's ETag (`If-Match`), and part of the notices one. Kept by the database
     * (trigger `campaigns_version`, drizzle/0030): any update that changes a column moves it.
     */
    version: integer('version').notNull().default(1),
    createdBy: text('created_by').notNull(),
    createdAt: createdAt(),
    updatedAt: timestamptz('updated_at').notNull().defaultNow(),
  },
  (table) => {
    const unbounded = sql`${table.endsAt} is null or ${table.startsAt} is null`;
    return [
      check('campaigns_holdout_check', sql`${table.holdoutPercent} between 0 and 50`),
      check('campaigns_window_check', sql`${unbounded} or ${table.endsAt} >= ${table.startsAt}`),
      check(
        'campaigns_published_start_check',
        sql`${table.publishedAt} is null or ${table.startsAt} is not null`,
      ),
      index('campaigns_live_idx')
        .on(table.endsAt)
        .where(sql`${table.publishedAt} is not null and ${table.cancelledAt} is null`),
      index('campaigns_origin_idx').on(table.origin, table.originId),
      // An event's move or deletion finds its campaigns (and the foreign key's ON DELETE).
      index('campaigns_event_idx').on(table.eventId).where(sql`${table.eventId} is not null`),
    ];
  },
);

/** Who changed what in a campaign, and when. */
export const campaignAudit = pgTable(
  'campaign_audit',
  {
    id: idColumn(),
    campaignId: uuid('campaign_id')
      .notNull()
      .references(() => campaigns.id, { onDelete: 'cascade' }),
    at: timestamptz('at').notNull(),
    actor: text('actor').notNull(),
    action: text('action').notNull(),
    changes: jsonb('changes').$type<Record<string, { from: unknown; to: unknown }>>().notNull(),
  },
  (table) => [index('campaign_audit_campaign_idx').on(table.campaignId, table.at)],
);

export type CampaignRow = typeof campaigns.$inferSelect;
export type CampaignAuditRow = typeof campaignAudit.$inferSelect;
