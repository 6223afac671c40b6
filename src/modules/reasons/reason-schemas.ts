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

/** The first and last weeks with any ticket, or null before the first import. */
const TicketWeeksSchema = z.object({ first_week: z.string(), last_week: z.string() }).nullable();

export const WeeklySchema = z
  .object({
    time_zone: z.string(),
    anchored_to: z.enum(['requested', 'latest_week_with_tickets', 'current_week']).openapi({
      description: 'Where the series ends: `to`, else the latest week with tickets, else now.',
    }),
    data: TicketWeeksSchema.openapi({
      description: 'The first and last weeks with tickets; null before any.',
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
