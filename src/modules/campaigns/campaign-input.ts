import { z } from '@hono/zod-openapi';
import { CAMPAIGN_CHANNELS, EMAIL_TEMPLATES, SEVERITIES } from '../../db/schema';
import { multiLineText, oneLineText as oneLine } from '../../http/text-input';
import { instantInput } from '../../http/time-input';
import { LocaleSchema } from '../accounts/account-input';
import { AudienceSchema } from './audience';

export const CAMPAIGN_STATUSES = ['draft', 'scheduled', 'active', 'ended', 'cancelled'] as const;
export type CampaignStatus = (typeof CAMPAIGN_STATUSES)[number];

const instant = instantInput().openapi({ example: '2026-12-01T09:00:00Z' });
const webUrl = z
  .url({ protocol: /^https?$/ })
  .max(2000)
  .openapi({ example: 'https://status.example.com' });

const timeOfDay = z
  .string()
  .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a time of day HH:MM, e.g. 09:00')
  .openapi({ example: '09:00' });

export const EmailSettingsSchema = z
  .object({
    template: z.enum(EMAIL_TEMPLATES).default('announcement'),
    subject: oneLine(200)
      .nullish()
      .openapi({ description: 'Default: the title. May use {{name}}, {{account_id}}, {{plan}}.' }),
    send_at: instant.nullish().openapi({ description: 'Send at this time.' }),
    before_event: z
      .object({
        days: z.number().int().min(0).max(365).default(0),
        hours: z.number().int().min(0).max(23).default(0),
      })
      .nullish()
      .openapi({
        description: 'Send this long before the next occurrence of the linked event (`event_id`).',
      }),
    local_time: timeOfDay.nullish().openapi({
      description:
        "Send at this time of day in each recipient's time zone, " +
        'on the day the send time falls on there.',
    }),
    send_window: z
      .object({ from: timeOfDay, to: timeOfDay })
      .refine((w) => w.from < w.to, { message: 'from must be before to', path: ['to'] })
      .nullish()
      .openapi({
        description: "Local hours when sending is allowed; a later send waits for the next 'from'.",
      }),
  })
  .refine((e) => !(e.send_at && e.before_event), {
    message: 'give send_at or before_event, not both',
    path: ['before_event'],
  })
  .openapi('EmailSettings', {
    description:
      'For the `email` channel. ' +
      'With neither send_at nor before_event the email goes when the campaign starts.',
    example: { template: 'maintenance', before_event: { days: 2, hours: 0 }, local_time: '09:00' },
  });

export type EmailSettingsInput = z.output<typeof EmailSettingsSchema>;

const LocaleVariantSchema = z.object({
  title: oneLine(200),
  body: multiLineText(10_000).openapi({ description: 'Markdown.' }),
  cta_label: oneLine(60).nullish(),
});

/**
 * Content per BCP 47 tag. A zod record skips a `__proto__` key without a word (so that the copy
 * it builds keeps its prototype); no tag is spelled so, and it is refused like any other.
 */
const LocalesSchema = z.preprocess(
  (value, ctx) => {
    if (typeof value === 'object' && value !== null && Object.hasOwn(value, '__proto__')) {
      ctx.addIssue({
        code: 'custom',
        path: ['__proto__'],
        message: 'must be a BCP 47 language tag such as en or fr-CA',
        input: value,
      });
    }
    return value;
  },
  z.record(LocaleSchema, LocaleVariantSchema),
);

const campaignFields = {
  channels: z
    .array(z.enum(CAMPAIGN_CHANNELS))
    .min(1)
    .max(CAMPAIGN_CHANNELS.length)
    .refine((c) => new Set(c).size === c.length, 'must not repeat a channel'),
  title: oneLine(200).openapi({ example: 'Scheduled maintenance on Sunday' }),
  body: multiLineText(10_000)
    .default('')
    .openapi({ description: 'Markdown; rendered to sanitised HTML.' }),
  severity: z.enum(SEVERITIES).default('info'),
  cta: z
    .object({ label: oneLine(60), url: webUrl })
    .nullish()
    .openapi({ description: 'An optional call-to-action link.' }),
  locales: LocalesSchema.default({}).openapi({
    description: 'Content per locale; accounts in other locales get the default.',
  }),
  starts_at: instant.nullish().openapi({ description: 'Default: when it is published.' }),
  ends_at: instant.nullish().openapi({ description: 'Default: until ended by hand.' }),
  audience: AudienceSchema,
  event_id: z.uuid().nullish(),
  target_reasons: z.array(z.string().trim().min(1).max(100)).max(100).default([]),
  holdout_percent: z.number().int().min(0).max(50).default(0),
  email: EmailSettingsSchema.nullish(),
};

export const CampaignCreateSchema = z
  .object({
    ...campaignFields,
    publish: z
      .boolean()
      .default(false)
      .openapi({ description: 'Publish at once (scheduled or active) instead of a draft.' }),
  })
  .openapi('CampaignCreate');

export type CampaignCreate = z.output<typeof CampaignCreateSchema>;

export const CampaignPatchSchema = z
  .object({
    title: campaignFields.title.optional(),
    body: multiLineText(10_000).optional(),
    severity: z.enum(SEVERITIES).optional(),
    cta: campaignFields.cta,
    locales: LocalesSchema.optional(),
    channels: campaignFields.channels.optional(),
    starts_at: instant.optional(),
    ends_at: instant.nullish(),
    audience: AudienceSchema.optional(),
    event_id: z.uuid().nullish(),
    target_reasons: campaignFields.target_reasons.unwrap().optional(),
    holdout_percent: z.number().int().min(0).max(50).optional(),
    email: EmailSettingsSchema.nullish(),
    status: z
      .enum(['scheduled', 'ended', 'cancelled'])
      .optional()
      .openapi({
        description:
          '`scheduled` publishes a draft; `ended` stops an active campaign now; `cancelled` ' +
          'withdraws one that has not started.',
      }),
  })
  .openapi('CampaignPatch');

export type CampaignPatch = z.output<typeof CampaignPatchSchema>;

export const CampaignSchema = z
  .object({
    id: z.uuid(),
    status: z.enum(CAMPAIGN_STATUSES),
    channels: z.array(z.enum(CAMPAIGN_CHANNELS)),
    title: z.string(),
    body: z.string(),
    body_html: z.string(),
    severity: z.enum(SEVERITIES),
    cta: z.object({ label: z.string(), url: z.string() }).nullable(),
    locales: z.record(
      z.string(),
      z.object({
        title: z.string(),
        body: z.string(),
        body_html: z.string(),
        cta_label: z.string().nullable(),
      }),
    ),
    starts_at: z.string().nullable(),
    ends_at: z.string().nullable(),
    audience: AudienceSchema,
    event_id: z.string().nullable(),
    target_reasons: z.array(z.string()),
    holdout_percent: z.number().int(),
    email: z
      .object({
        template: z.enum(EMAIL_TEMPLATES),
        subject: z.string().nullable(),
        send_at: z.string().nullable(),
        before_event: z.object({ days: z.number().int(), hours: z.number().int() }).nullable(),
        local_time: z.string().nullable(),
        send_window: z.object({ from: z.string(), to: z.string() }).nullable(),
      })
      .nullable(),
    origin: z.string().openapi({ description: '`manual`, `incident` or `maintenance`.' }),
    origin_id: z.string().nullable(),
    published_at: z.string().nullable(),
    cancelled_at: z.string().nullable(),
    version: z.number().int().openapi({
      description:
        'Counts the changes to the campaign; the `ETag` of its answers names it, with `status`.',
    }),
    created_by: z.string(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi('Campaign');

export type CampaignView = z.infer<typeof CampaignSchema>;
