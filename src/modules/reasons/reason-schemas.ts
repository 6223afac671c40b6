import { z } from '@hono/zod-openapi';

/** The shapes of the reasons API: validated, documented, and typed from here. */

export const ReasonSchema = z
  .object({
    slug: z.string().openapi({ example: 'billing-double-charge' }),
    label: z.string().openapi({ example: 'Billing: double charge' }),
    aliases: z.array(z.string()).openapi({ description: 'Raw reasons (as slugs) mapped here.' }),
    contacts_total: z.number().int(),
    contacts_last_4_weeks: z.number().int(),
  })
  .openapi('Reason');

/** The weeks tickets span, and where their usual volume ends; null before the first import. */
export const TicketWeeksSchema = z
  .object({
    first_week: z.string(),
    last_week: z.string().openapi({ description: 'The latest week with any ticket.' }),
    usual_through: z.string().openapi({
      description:
        'The last week of the usual volume: `last_week`, unless the tickets trail off after ' +
        'it (at least 4 weeks holding on average under a tenth of the median week of the year ' +
        'before). Default windows end here.',
    }),
    after_usual: z
      .object({
        weeks: z.number().int(),
        contacts: z.number().int(),
        usual_weekly: z.number().openapi({ description: 'The median week of the year before.' }),
      })
      .nullable()
      .openapi({
        description: 'What the weeks after `usual_through` hold, when it is not last_week.',
      }),
  })
  .nullable();

export const WeeklySchema = z
  .object({
    time_zone: z.string(),
    anchored_to: z
      .enum(['requested', 'latest_week_with_tickets', 'end_of_usual_volume', 'current_week'])
      .openapi({
        description:
          'Where the series ends: `to`, else the latest week with tickets (or, when the tickets ' +
          'trail off, the last week of their usual volume), else now.',
      }),
    data: TicketWeeksSchema.openapi({
      description: 'The weeks tickets span and where their usual volume ends; null before any.',
    }),
    weeks: z.array(z.string()).openapi({ description: 'Mondays of ISO weeks, oldest first.' }),
    series: z.array(
      z.object({
        reason: z.string(),
        label: z.string(),
        total: z.number().int(),
        counts: z.array(z.number().int()).openapi({ description: 'One count per entry of weeks.' }),
      }),
    ),
  })
  .openapi('WeeklySeries');

export type ReasonView = z.infer<typeof ReasonSchema>;
export type TicketWeeks = z.infer<typeof TicketWeeksSchema>;
export type WeeklySeries = z.infer<typeof WeeklySchema>;
