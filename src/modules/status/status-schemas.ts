import { z } from '@hono/zod-openapi';
import { COMPONENT_STATUSES, IMPACTS, INCIDENT_STATUSES } from '../../db/schema';
import { oneLineText, requiredMultiLineText } from '../../http/text-input';
import { instantInput } from '../../http/time-input';

const instant = instantInput().openapi({ example: '2026-12-06T02:00:00Z' });
const body = requiredMultiLineText(10_000).openapi({ description: 'Markdown.' });
const incidentImpact = z.enum(IMPACTS);

export const ComponentInputSchema = z
  .object({
    name: oneLineText(100).openapi({ example: 'API' }),
    description: z.string().trim().max(500).nullish(),
    group: z.boolean().default(false).openapi({ description: 'A group of components.' }),
    group_id: z.uuid().nullish(),
    position: z
      .number()
      .int()
      .min(0)
      .max(10_000)
      .optional()
      .openapi({
        description:
          'Where the component shows on the page (lowest first; equal positions by name). ' +
          'Without one, the component goes after every existing one.',
      }),
    only_show_if_degraded: z.boolean().default(false),
  })
  .openapi('ComponentInput');

export const ComponentPatchSchema = z
  .object({
    name: oneLineText(100).optional(),
    description: z.string().trim().max(500).nullish(),
    group_id: z.uuid().nullish(),
    position: z.number().int().min(0).max(10_000).optional(),
    status: z.enum(COMPONENT_STATUSES).optional(),
    only_show_if_degraded: z.boolean().optional(),
  })
  .openapi('ComponentPatch');

export const ComponentSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    description: z.string().nullable(),
    group: z.boolean(),
    group_id: z.string().nullable(),
    position: z.number().int(),
    status: z.enum(COMPONENT_STATUSES).openapi({
      description:
        'The status the public API shows now: `under_maintenance` during a maintenance in ' +
        'progress (unless worse), and for a group the worst status of its components.',
    }),
    only_show_if_degraded: z.boolean(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi('Component');

/** A component, or a group standing for every component in it when the change is posted. */
const componentReference = z.uuid().openapi({
  description:
    'A component, or a group: every component in the group at that moment (the group itself ' +
    'has no status of its own). An unknown id or an empty group is refused with 400.',
});

const ComponentChangeSchema = z.object({
  id: componentReference,
  status: z.enum(COMPONENT_STATUSES).openapi({
    description: 'For a group, of each of its components unless one is also named on its own.',
  }),
});

export const IncidentOpenSchema = z
  .object({
    name: oneLineText(200).openapi({ example: 'Elevated API error rates' }),
    status: z.enum(INCIDENT_STATUSES).exclude(['resolved']).default('investigating'),
    impact: incidentImpact.default('minor'),
    body,
    components: z.array(ComponentChangeSchema).max(100).default([]),
    notify_accounts: z.boolean().default(true).openapi({
      description: 'Publish a banner to the accounts that use the affected components.',
    }),
  })
  .openapi('IncidentOpen');

export const IncidentUpdateSchema = z
  .object({
    status: z.enum(INCIDENT_STATUSES),
    body,
    impact: incidentImpact.optional(),
    components: z.array(ComponentChangeSchema).max(100).optional(),
  })
  .openapi('IncidentUpdate');

export const MaintenanceScheduleSchema = z
  .object({
    name: oneLineText(200).openapi({ example: 'Database upgrade' }),
    body,
    scheduled_for: instant,
    scheduled_until: instant,
    components: z.array(componentReference).max(100).default([]),
    auto_transition: z
      .boolean()
      .default(true)
      .openapi({
        description:
          'Move to in_progress and completed with the window. Off, ops post each status, and ' +
          'the banner lasts until they post completed, even past the window.',
      }),
    notify_accounts: z.boolean().default(true),
  })
  .openapi('MaintenanceSchedule');

export const MaintenanceUpdateSchema = z
  .object({
    status: z.enum(['scheduled', 'in_progress', 'verifying', 'completed']),
    body,
  })
  .openapi('MaintenanceUpdate');

const AffectedComponentSchema = z.object({
  code: z.string(),
  name: z.string(),
  old_status: z.enum(COMPONENT_STATUSES),
  new_status: z.enum(COMPONENT_STATUSES),
});

export const StatuspageComponentSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    status: z.enum(COMPONENT_STATUSES),
    created_at: z.string(),
    updated_at: z.string(),
    position: z.number().int(),
    description: z.string().nullable(),
    showcase: z.boolean(),
    start_date: z
      .string()
      .nullable()
      .openapi({
        description:
          "The day the component was created (YYYY-MM-DD, the page's time zone), which its " +
          'uptime counts from; null for a group.',
        example: '2026-03-02',
      }),
    group_id: z.string().nullable(),
    page_id: z.string(),
    group: z.boolean(),
    only_show_if_degraded: z.boolean(),
    components: z.array(z.string()).optional(),
  })
  .openapi('StatuspageComponent');

export const StatuspageIncidentSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    status: z.string(),
    created_at: z.string(),
    updated_at: z.string(),
    monitoring_at: z.string().nullable(),
    resolved_at: z.string().nullable(),
    impact: z.string(),
    shortlink: z.string(),
    started_at: z.string(),
    page_id: z.string(),
    incident_updates: z.array(
      z.object({
        id: z.string(),
        status: z.string(),
        body: z.string(),
        incident_id: z.string(),
        created_at: z.string(),
        updated_at: z.string(),
        display_at: z.string(),
        affected_components: z.array(AffectedComponentSchema),
        deliver_notifications: z.boolean(),
        custom_tweet: z.null(),
        tweet_id: z.null(),
      }),
    ),
    components: z.array(StatuspageComponentSchema),
    scheduled_for: z.string().nullable().optional(),
    scheduled_until: z.string().nullable().optional(),
  })
  .openapi('StatuspageIncident');

export const PageSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    url: z.string(),
    time_zone: z.string(),
    updated_at: z.string().openapi({
      description:
        'When a component, incident or maintenance last changed; 1970-01-01T00:00:00.000Z ' +
        'while the page has none, so that an unchanged page keeps its ETag.',
    }),
  })
  .openapi('StatuspagePage');

export const PageStatusSchema = z
  .object({
    indicator: z.enum(['none', 'minor', 'major', 'critical']),
    description: z.string(),
  })
  .openapi('StatuspageStatus');

export const StatusWebhookSchema = z
  .object({
    id: z.string(),
    url: z.string(),
    created_at: z.string(),
    pending: z.number().int(),
    delivered: z.number().int(),
    failed: z.number().int(),
    last_error: z.string().nullable(),
  })
  .openapi('StatusWebhook');

const UptimeDaySchema = z.object({
  date: z.string(),
  status: z
    .enum(COMPONENT_STATUSES)
    .nullable()
    .openapi({
      description:
        'The worst status the component had that day; null before it existed. ' +
        '`under_maintenance` for a day whose only departure from operational was a maintenance ' +
        'window in progress (not downtime).',
    }),
  minutes: z.record(z.string(), z.number()).openapi({
    description:
      'Minutes in each status that day; an operational component inside a maintenance in ' +
      'progress counts as `under_maintenance`.',
  }),
  incidents: z.array(z.object({ id: z.string(), name: z.string() })).openapi({
    description:
      'The incidents open on the component that day: a reopened one on the days it was open, ' +
      'not those between its resolution and its reopening.',
  }),
  maintenance: z.array(z.object({ id: z.string(), name: z.string() })).openapi({
    description: 'The scheduled maintenance in progress on the component that day.',
  }),
});

export const UptimeHistorySchema = z.object({
  time_zone: z.string(),
  from: z.string(),
  to: z.string(),
  components: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      uptime_percent: z
        .number()
        .nullable()
        .openapi({
          description:
            'Observed time not down since `since`, in percent: 100 × (1 − (major outage + ' +
            '0.3 × partial outage) / observed), as Statuspage weighs it. Maintenance and degraded ' +
            'performance count as observed time that is not downtime. Null until a full day ' +
            '(1440 minutes) is observed: a share of a few minutes is no uptime figure.',
        }),
      since: z.string().openapi({
        description:
          'The first day the percentage covers: `from`, or the day the component was created ' +
          'when that is later (the days before it are null).',
        example: '2026-03-02',
      }),
      observed_minutes: z.number().int().openapi({
        description:
          'How much time the percentage covers: minutes since `since` began or the component was created.',
      }),
      days: z.array(UptimeDaySchema),
    }),
  ),
});

export type ComponentInput = z.input<typeof ComponentInputSchema>;
export type ComponentPatch = z.input<typeof ComponentPatchSchema>;
export type ComponentView = z.infer<typeof ComponentSchema>;
export type IncidentOpen = z.output<typeof IncidentOpenSchema>;
export type IncidentUpdateInput = z.output<typeof IncidentUpdateSchema>;
export type MaintenanceSchedule = z.output<typeof MaintenanceScheduleSchema>;
export type MaintenanceUpdateInput = z.output<typeof MaintenanceUpdateSchema>;
export type StatuspageComponent = z.infer<typeof StatuspageComponentSchema>;
export type StatusWebhookView = z.infer<typeof StatusWebhookSchema>;
export type UptimeHistory = z.infer<typeof UptimeHistorySchema>;
export type ComponentUptime = UptimeHistory['components'][number];
export type UptimeDay = ComponentUptime['days'][number];
