import { z } from '@hono/zod-openapi';
import { TicketWeeksSchema } from '../reasons/reason-schemas';

/** The shapes of the spikes API: documented, and typed from here. */

export const SpikeSchema = z
  .object({
    week: z.string().openapi({ description: 'Monday of the ISO week (workspace time zone).' }),
    reason: z.string(),
    label: z.string(),
    observed: z.number().int(),
    expected: z.number().openapi({ description: 'Contacts expected without any event.' }),
    usual: z.number().openapi({
      description:
        'Contacts usual for the week: expected plus the effect its events usually have. ' +
        'The probability is of the observed count against this.',
    }),
    excess: z.number(),
    probability: z.number().openapi({
      description: 'Mid-p of the observed count under the expected one: P(Y > y) + ½P(Y = y).',
    }),
    severity: z.enum(['low', 'medium', 'high']).openapi({
      description:
        'high: observed at least 3x usual or probability under 1e-6; ' +
        'medium: at least 2x usual or probability under 1e-4; low: otherwise.',
    }),
    method: z.enum(['ears_c2', 'count_model']).openapi({
      description: 'ears_c2 (recent clean weeks) under 26 weeks of history, count_model from 26.',
    }),
    events: z.array(
      z.object({
        event_id: z.uuid(),
        title: z.string(),
        kind: z.string(),
        share: z.number().openapi({ description: 'Share of the excess attributed to the event.' }),
        contacts: z.number(),
        attribution: z.enum(['model', 'overlap']).openapi({
          description:
            'model: the effect the event usually has, learned from its earlier occurrences; ' +
            'overlap: the event has no earlier occurrence to learn from, so it shares the rest.',
        }),
      }),
    ),
    unexplained: z.number().openapi({ description: 'Excess no overlapping event accounts for.' }),
  })
  .openapi('Spike');

export const SpikeReportSchema = z
  .object({
    from: z.string(),
    to: z.string(),
    time_zone: z.string(),
    alpha: z.number().openapi({ description: 'SPIKE_ALPHA: the false-discovery rate held.' }),
    computed_through: z.string().nullable().openapi({
      description:
        'The last week with verdicts: the last complete week, or the last week with tickets.',
    }),
    data: TicketWeeksSchema.openapi({
      description: 'The weeks tickets span and where their usual volume ends; null before any.',
    }),
    pending: z.boolean().openapi({
      description: 'Tickets, aliases or events changed and verdicts are being recomputed.',
    }),
    reasons_tested: z
      .number()
      .int()
      .openapi({
        description:
          "Reasons tested in the range's last week, every one of them even when `reason` narrows " +
          'the spikes: each week is flagged across all reasons tested (Benjamini–Hochberg), so ' +
          'this is how many tests stand behind its cut.',
      }),
    insufficient_history: z.array(
      z.object({
        reason: z.string(),
        label: z.string(),
        history_weeks: z.number().int().openapi({
          description: 'Weeks with contacts in the year before the last week, since it began.',
        }),
        needed_weeks: z.number().int(),
        went_quiet: z.boolean().openapi({
          description:
            'False for a reason whose volume is beginning (more weeks with contacts in the last ' +
            '52 than in the 52 before); true for one that went quiet or stays rare.',
        }),
      }),
    ),
    data_anomalies: z
      .array(
        z.object({
          day: z.string(),
          week: z.string(),
          reasons: z.array(z.object({ reason: z.string(), contacts: z.number().int() })),
        }),
      )
      .openapi({
        description:
          'Days on which reasons received weeks of tickets at once (backfills, re-imports): ' +
          'not spikes, and left out of baselines.',
      }),
    spikes: z.array(SpikeSchema),
  })
  .openapi('SpikeReport');

export const SpikeAlertSchema = SpikeSchema.extend({
  id: z.uuid(),
  detected_at: z.string(),
  notified_at: z.string().nullable().openapi({ description: 'When Slack accepted the message.' }),
}).openapi('SpikeAlert');

export type SpikeView = z.infer<typeof SpikeSchema>;
export type SpikeReport = z.infer<typeof SpikeReportSchema>;
export type SpikeAlertView = z.infer<typeof SpikeAlertSchema>;
