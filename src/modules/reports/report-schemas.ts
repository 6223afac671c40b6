import { z } from '@hono/zod-openapi';
import {
  CompanionSchema,
  DEFLECTION_RATE,
  ExposureSchema,
  HoldoutReachedSchema,
  INTERVAL_KIND,
  IntervalKindSchema,
  IntervalSchema,
  SIMULATED_INTERVAL,
  WarningSchema,
} from '../impact/impact-schemas';

/** The leaders' report as the API documents it, and as the service and pages type it. */

const Rates = {
  contacts: z.number().int(),
  recontacts: z.number().int(),
  resolved: z.number().int(),
  recontact_rate: z.number().nullable(),
  resolution_rate: z.number().nullable(),
  csat: z.number().nullable(),
  csat_responses: z.number().int(),
  csat_satisfied: z.number().int(),
  first_response_median_hours: z.number().nullable(),
  first_response_p90_hours: z.number().nullable(),
};
const ByGroup = z.object({ treated: z.number().nullable(), holdout: z.number().nullable() });

export const PreventedContactsReportSchema = z
  .object({
    from: z.string(),
    to: z.string(),
    time_zone: z.string(),
    cost_per_ticket_cents: z.number().int(),
    currency: z.string().openapi({
      description: 'ISO 4217 code of every amount in cents (CURRENCY).',
      example: 'USD',
    }),
    totals: z.object({
      ...Rates,
      cost_per_resolution_cents: z.number().int().nullable(),
      prevented: IntervalSchema.nullable().openapi({
        description:
          'Net prevented contacts (every reason) of the campaigns measured against a holdout ' +
          'whose net estimate was answered (one refused as insufficient data is in no total), ' +
          "with an interval: each side's distance from the estimate added in quadrature over " +
          "the campaigns, so one campaign's total is its own interval. Each campaign is counted " +
          'over its whole measurement window, which may reach outside the period; a running ' +
          'one so far, with its always-valid interval (see `prevented_so_far`). Null (no ' +
          'estimate, not zero) when no campaign is in it.',
      }),
      prevented_so_far: z
        .number()
        .int()
        .openapi({
          description:
            'Of the campaigns in `prevented`, those still running: their part is so far, its ' +
            'interval the wider one valid however often it is read, added to the ended ' +
            "campaigns' fixed-horizon ones. `prevented` is final when this is 0.",
        }),
      target_prevented: IntervalSchema.nullable().openapi({
        description:
          'Target-reason prevented contacts of the campaigns with both a net and a target ' +
          'answer (a campaign with only one counts in neither this nor `shifted`). Null when ' +
          'no campaign has both.',
      }),
      shifted: IntervalSchema.nullable().openapi({
        description:
          'target_prevented − the net prevented contacts of the same campaigns: contacts moved ' +
          'to other reasons. Null when `target_prevented` is.',
      }),
      prevented_observational: IntervalSchema.nullable().openapi({
        description:
          'The observational estimates (target reasons) of the campaigns without a holdout, ' +
          'summed; kept out of every other total. Those whose windows and target reasons ' +
          'overlap another’s are left out (see `observational_overlapping`). Null when none ' +
          'is left.',
      }),
      observational_overlapping: z
        .number()
        .int()
        .openapi({
          description:
            'Campaigns without a holdout left out of `prevented_observational`: their windows ' +
            'and target reasons overlap another’s, so their estimates claim the same contacts.',
        }),
      savings_cents: IntervalSchema.nullable().openapi({
        description: '`prevented` × COST_PER_TICKET: the same campaigns; null when `prevented` is.',
      }),
      deflection_rate: z
        .number()
        .nullable()
        .openapi({
          description: `Over the campaigns in \`prevented\`; null when it is. ${DEFLECTION_RATE}`,
        }),
      churn_rate: ByGroup.openapi({
        description:
          'Of the treated and of the held-out accounts of the campaigns in `prevented` (those ' +
          'measured against a holdout with a net answer; a campaign whose estimate was refused ' +
          'is in neither), the share that churned inside their windows. An account in two ' +
          'campaigns counts in each.',
      }),
      downgrade_rate: ByGroup.openapi({
        description: 'The same as `churn_rate`, over the same campaigns, for downgrades.',
      }),
      campaigns: z.number().int().openapi({
        description: 'Every campaign in `campaigns`, with an estimate or not.',
      }),
      warnings: z.number().int(),
    }),
    campaigns: z.array(
      z.object({
        id: z.string(),
        title: z.string(),
        channels: z.array(z.string()),
        status: z.string().openapi({
          description:
            'Its lifecycle state now: scheduled, active, ended, or cancelled (one cancelled ' +
            'before its start after its email went out reached accounts, so it is measured, ' +
            'from its first email to its window_ends_at; see `exposure`).',
        }),
        starts_at: z.string().nullable().openapi({ description: 'Its planned start.' }),
        ends_at: z.string().nullable().openapi({ description: 'Its planned end.' }),
        exposure: ExposureSchema,
        window_ends_at: z.string(),
        measured_at: z.string().openapi({
          description:
            'When the measurement was taken: by the measure-campaigns job (every 10 minutes), ' +
            'or for this answer when the job has not measured the campaign lately.',
        }),
        target_reasons: z.array(z.string()),
        method: z.enum(['holdout', 'observational']),
        measurement: z.enum(['final', 'so_far']),
        interval_kind: IntervalKindSchema.openapi({
          description: `Of \`prevented\`'s interval. ${INTERVAL_KIND} ${SIMULATED_INTERVAL}`,
        }),
        prevented: IntervalSchema.nullable().openapi({
          description:
            'With a holdout, net prevented contacts (every reason); without one, the ' +
            'observational estimate, which is of the target reasons only (also `target_prevented`).',
        }),
        reason: z.string().nullable(),
        needed: z
          .object({
            more_weeks: z.number().int().nullable(),
            holdout_accounts: z.number().int().nullable(),
          })
          .nullable(),
        p_value: z.number().nullable(),
        savings_cents: IntervalSchema.nullable(),
        target_prevented: IntervalSchema.nullable(),
        shifted: IntervalSchema.nullable(),
        lift: IntervalSchema.nullable().openapi({
          description:
            'Of the target reasons: target_prevented / the target contacts the treated accounts ' +
            'would have made without the campaign. The net counterpart is deflection_rate.',
        }),
        deflection_rate: z.number().nullable().openapi({ description: DEFLECTION_RATE }),
        treated: CompanionSchema,
        holdout: CompanionSchema,
        holdout_reached: HoldoutReachedSchema,
        warnings: z.array(WarningSchema),
      }),
    ),
    reasons: z.array(
      z.object({ reason: z.string(), label: z.string(), ...Rates, prevented: z.number() }),
    ),
    weeks: z.array(
      z.object({
        week: z.string(),
        ...Rates,
        prevented: z.number(),
        savings_cents: z.number().int(),
      }),
    ),
  })
  .openapi('PreventedContactsReport');

export type PreventedContactsReport = z.infer<typeof PreventedContactsReportSchema>;
export type ReportCampaign = PreventedContactsReport['campaigns'][number];
/** A period's contacts with the rates that keep deflection honest. */
export type Companion = z.infer<z.ZodObject<typeof Rates>>;
