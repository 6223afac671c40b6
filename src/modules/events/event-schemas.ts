import { z } from '@hono/zod-openapi';
import { EVENT_KINDS } from '../../db/schema';
import { oneLineText } from '../../http/text-input';
import { dayInput, instantInput } from '../../http/time-input';
import { isTimeZone } from '../../lib/time-zone';
import { MAX_EXCEPTIONS } from './recurrence-exceptions';

/** The shapes of the events API: validated on the way in, documented, and typed from here. */

export const instant = instantInput().openapi({ example: '2026-03-01T06:00:00Z' });

export const EventInputSchema = z
  .object({
    kind: z.enum(EVENT_KINDS),
    title: oneLineText(200).openapi({ example: 'Monthly billing run' }),
    starts_at: instant,
    ends_at: instant,
    rrule: z
      .string()
      .trim()
      .max(500)
      .nullish()
      .openapi({
        description:
          'RFC 5545 recurrence of the window, e.g. FREQ=MONTHLY;BYMONTHDAY=1: daily to yearly, at ' +
          'most once a day, kept at its local time in `time_zone`.',
        example: 'FREQ=MONTHLY;BYMONTHDAY=1',
      }),
    time_zone: z
      .string()
      .trim()
      .max(64)
      .refine(isTimeZone, 'must be an IANA time zone such as Europe/Berlin')
      .nullish()
      .openapi({
        description:
          'The zone a recurring event keeps its local time in; default WORKSPACE_TIME_ZONE.',
        example: 'Europe/Berlin',
      }),
    excluded_starts: z
      .array(instantInput().or(dayInput()))
      .max(MAX_EXCEPTIONS)
      .default([])
      .openapi({
        description:
          'Starts a recurring event skips (RFC 5545 EXDATE), such as a cancelled release: an ' +
          'instant takes out the start at that instant, a day (YYYY-MM-DD) the start on that ' +
          "day in the event's zone. Each names one start of the series, and moves with it: a " +
          'PUT that changes `starts_at` or `time_zone` and sends this list as stored (as read) ' +
          'stores each at the start of the moved series it names, so a cancelled occurrence ' +
          'stays cancelled: the same start where the series still has it, else the ' +
          'nearest start of the moved series at its new time of day, within half the rule’s ' +
          'period, that the series did not have before (Mondays moved to Tuesdays: the ' +
          'Tuesday after each cancelled Monday); one that ' +
          'names no start either way is kept as it was. A PUT that sends another list has that ' +
          `list as sent. At most ${MAX_EXCEPTIONS}; only with \`rrule\`.`,
        example: ['2026-12-24T09:00:00Z', '2026-12-31'],
      }),
    extra_starts: z
      .array(instantInput())
      .max(MAX_EXCEPTIONS)
      .default([])
      .openapi({
        description:
          'Starts a recurring event has beside its rule (RFC 5545 RDATE), each a window as long ' +
          'as the first. Each is an instant of its own, not a start of the rule: a PUT that ' +
          'moves the series keeps them where they are (send them moved to move them). At most ' +
          `${MAX_EXCEPTIONS}; only with \`rrule\`.`,
        example: ['2026-12-28T09:00:00Z'],
      }),
    lead_days: z.number().int().min(0).max(60).default(0).openapi({
      description: 'Days before each window in which contacts already rise.',
    }),
    lag_days: z.number().int().min(0).max(60).default(0).openapi({
      description: 'Days after each window in which contacts still arrive.',
    }),
    affected_reasons: z.array(z.string().trim().min(1).max(100)).max(100).default([]),
    audience: z.record(z.string(), z.unknown()).nullish(),
  })
  .openapi('EventInput');

export const EventSchema = EventInputSchema.extend({
  id: z.uuid(),
  starts_at: z.string(),
  ends_at: z.string(),
  rrule: z.string().nullable(),
  time_zone: z.string().nullable(),
  excluded_starts: z.array(z.string()),
  extra_starts: z.array(z.string()),
  audience: z.record(z.string(), z.unknown()).nullable(),
  origin: z.string().openapi({ description: 'manual, or holidays for imported ones.' }),
  version: z.number().int().openapi({
    description: 'Counts the writes to the event; the `ETag` of its answers names it.',
  }),
  created_at: z.string(),
  updated_at: z.string(),
}).openapi('Event');

/** The years a holiday import takes, and how many at once. */
export const HOLIDAY_YEARS = { first: 1990, last: 2100, atOnce: 30 } as const;

export const HolidayImportSchema = z
  .object({
    country: z.string().trim().min(2).max(3).openapi({ example: 'US' }),
    region: z.string().trim().min(1).max(10).optional().openapi({ example: 'NY' }),
    years: z
      .array(z.number().int().min(HOLIDAY_YEARS.first).max(HOLIDAY_YEARS.last))
      .min(1)
      .max(HOLIDAY_YEARS.atOnce),
  })
  .openapi('HolidayImport');

export const OccurrenceSchema = z
  .object({
    event_id: z.uuid(),
    kind: z.enum(EVENT_KINDS),
    title: z.string(),
    starts_at: z.string(),
    ends_at: z.string(),
    affected_reasons: z.array(z.string()),
  })
  .openapi('Occurrence');

export type EventInput = z.input<typeof EventInputSchema>;
export type EventView = z.infer<typeof EventSchema>;
export type Occurrence = z.infer<typeof OccurrenceSchema>;
