import { z } from '@hono/zod-openapi';

/** Response shapes shared by the impact endpoint and the leaders' report. */

export const IntervalSchema = z.object({ estimate: z.number(), low: z.number(), high: z.number() });

export const DEFLECTION_RATE =
  'Deflection rate = net prevented contacts / (the treated accounts’ contacts for every reason ' +
  'in their windows + net prevented contacts): the share of the contacts those accounts would ' +
  'have made that did not happen, numerator and denominator over the same accounts and window. ' +
  'It is the one definition used everywhere (campaigns, totals, CSV, page, digest).';

export const INTERVAL_KIND =
  '`always_valid` while the window runs: a confidence sequence, so the interval and p-value ' +
  'hold however often they are read; `fixed_horizon` once the window has closed: the t ' +
  'interval planned for that moment.';

/** The kinds of a campaign's headline interval: a holdout's two, or an observational one. */
export const IntervalKindSchema = z.enum(['fixed_horizon', 'always_valid', 'simulated']);
export const SIMULATED_INTERVAL =
  "`simulated` for a campaign without a holdout: its observational estimate's interval, " +
  'from simulating its model.';

export const EstimateSchema = z
  .object({
    status: z.enum(['ok', 'insufficient_data']),
    reason: z.string().optional().openapi({
      description: 'Why there is no number yet, with what was seen.',
    }),
    needed: z
      .object({
        more_weeks: z.number().int().nullable(),
        holdout_accounts: z.number().int().nullable(),
      })
      .optional()
      .openapi({
        description:
          'What would give a calibrated answer: about this many more weeks at the current ' +
          'rate, or (when more weeks would not) a held-out group of about this many accounts.',
      }),
    prevented: IntervalSchema.optional().openapi({
      description:
        'Contacts prevented among treated accounts with a 95% interval (negative: contacts ' +
        'added), adjusted by each account’s contacts in the 8 weeks before its exposure.',
    }),
    standard_error: z.number().optional(),
    p_value: z.number().optional().openapi({
      description: 'Two-sided; always valid while the window runs (see interval_kind).',
    }),
    lift: IntervalSchema.nullable().optional().openapi({
      description: 'prevented / expected_without.',
    }),
    treated_contacts: z.number().optional(),
    held_out_contacts: z.number().optional(),
    expected_without: z.number().optional().openapi({
      description: 'The contacts the treated accounts would have made without the campaign.',
    }),
    unadjusted: IntervalSchema.optional().openapi({
      description:
        'The same estimate without the pre-period adjustment, with a 95% interval of its own ' +
        '(for shifted too: from the spread of the raw counts, not a point).',
    }),
    savings_cents: IntervalSchema.optional().openapi({
      description: 'prevented × COST_PER_TICKET.',
    }),
  })
  .openapi('ImpactEstimate');

export const DetectableSchema = z
  .object({
    net: z.object({ adjusted: z.number().nullable(), unadjusted: z.number().nullable() }),
    target: z.object({ adjusted: z.number().nullable(), unadjusted: z.number().nullable() }),
  })
  .openapi('DetectableLift', {
    description:
      'The smallest lift (share of the target-reason contacts the treated accounts would have ' +
      'made) the design detects with 80% power at a two-sided 5% level, with and without the ' +
      'pre-period adjustment, from the spread of the accounts’ own counts (overdispersion ' +
      'included): for the net (headline) estimate and the target-reason one.',
  });

export const CompanionSchema = z
  .object({
    accounts: z.number(),
    contacts: z.number(),
    target_contacts: z.number(),
    recontact_rate: z.number().nullable(),
    resolution_rate: z.number().nullable(),
    cost_per_resolution_cents: z.number().int().nullable(),
    csat: z.number().nullable(),
    csat_responses: z.number().int(),
    first_response_median_hours: z.number().nullable(),
    first_response_p90_hours: z.number().nullable(),
    churn_rate: z.number().nullable(),
    downgrade_rate: z.number().nullable(),
  })
  .openapi('GroupCompanion', {
    description:
      'One group over the campaign’s window, all reasons: contacts, re-contact rate ' +
      '(re-contacts within 48 h / contacts), resolution rate (resolved / contacts), cost per ' +
      'resolution (contacts × COST_PER_TICKET / resolved), CSAT (share of ratings 4 or 5, with ' +
      'how many were rated), median and 90th percentile of first response time (hours, over ' +
      'the contacts answered), and the share of the group’s accounts that churned or ' +
      'downgraded inside their window. Rates are fractions (0–1); null when nothing to divide. ' +
      'Re-contacts, resolution, CSAT and first response are of the contacts that still ' +
      'arrived, which the campaign itself changes: treated against held out, they compare ' +
      'different mixes of contacts. Churn and downgrades are of all the group’s accounts.',
  });

export const WarningSchema = z
  .object({ code: z.enum(['csat_down', 'recontacts_up', 'churn_up']), message: z.string() })
  .openapi('CompanionWarning', {
    description:
      'Contacts went down (the net estimate is above 0) while, against held-out accounts, ' +
      'the CSAT of treated accounts’ contacts that still arrived is lower, or their ' +
      're-contacts within 48 h among those contacts, or their churn, higher, beyond chance: ' +
      'one-sided tests whose variances are clustered by account (an account’s contacts are ' +
      'not independent), the three held together at 5% (Holm), so that with no true ' +
      'difference at most 5% of campaigns show any warning. CSAT and re-contacts compare the ' +
      'contacts each group still made, which the campaign selects: a difference there can be ' +
      'a change of mix, not of service.',
  });

export const HoldoutReachedSchema = z
  .object({ accounts: z.number().int(), held_out: z.number().int() })
  .openapi('HoldoutReached', {
    description:
      'Of the `held_out` accounts held out so far, `accounts` got the campaign’s email anyway, ' +
      'at an address they share with a treated account (an address gets a campaign’s email ' +
      'once). They stay in the holdout as assigned, so the estimate leans towards zero: it ' +
      'understates the contacts prevented by about their share.',
  });

export type HoldoutReached = z.infer<typeof HoldoutReachedSchema>;

export const ExposureSchema = z
  .object({
    measured_from: z
      .string()
      .nullable()
      .openapi({
        description:
          'When the campaign began reaching accounts, where its measurement starts: the later of ' +
          'its start and its publication (nothing is shown or sent before it is published); ' +
          'for one cancelled before its start after its email went out, its first email. Null ' +
          'for a campaign with no start.',
      }),
    ends_at: z
      .string()
      .nullable()
      .openapi({
        description:
          'When it stopped reaching accounts: its end, or its cancellation. Null while it has ' +
          'no end.',
      }),
    note: z
      .string()
      .nullable()
      .openapi({
        description:
          'Why `measured_from` is not its planned start, when it is not (e.g. "published 3 days ' +
          'after its planned start; measured from publication"); null when it is.',
      }),
  })
  .openapi('Exposure', {
    description:
      'When the campaign reached accounts; its measurement window runs from `measured_from` ' +
      'to the window days after `ends_at`.',
  });

export type Exposure = z.infer<typeof ExposureSchema>;

/** What `GET /v1/campaigns/{id}/impact` answers. */
export const CampaignImpactSchema = z
  .object({
    campaign_id: z.string(),
    campaign_status: z.string(),
    measurement: z.enum(['final', 'so_far', 'not_run']).openapi({
      description:
        '`so_far` while the window runs, `final` once it has closed; `not_run` for a draft, or ' +
        'a campaign cancelled before it started and before any email went out: no account was ' +
        'shown or sent it, so every estimate is `insufficient_data` saying so, whenever its ' +
        'planned window was. A cancelled campaign that had sent emails is measured from its ' +
        'first email, its window ending `window.days` after its cancellation (see `exposure`).',
    }),
    method: z.enum(['holdout', 'observational']),
    window: z.object({
      days: z.number().int(),
      ends_at: z.string(),
      elapsed_days: z.number(),
      planned_days: z.number(),
    }),
    exposure: ExposureSchema.nullable().openapi({
      description: 'Null when the campaign has not run (`not_run`).',
    }),
    target_reasons: z.array(z.string()),
    interval_kind: IntervalKindSchema.nullable().openapi({
      description: `${INTERVAL_KIND} ${SIMULATED_INTERVAL} Null when the campaign has not run.`,
    }),
    net: EstimateSchema,
    target: EstimateSchema,
    shifted: EstimateSchema,
    deflection_rate: z.number().nullable().openapi({ description: DEFLECTION_RATE }),
    detectable: DetectableSchema,
    companion: z.object({ treated: CompanionSchema, holdout: CompanionSchema }),
    warnings: z.array(WarningSchema),
    holdout_reached: HoldoutReachedSchema,
    observational: z
      .object({
        status: z.enum(['ok', 'insufficient_data']),
        reason: z.string().optional(),
        method: z.literal('observational').optional(),
        expected: z.number().optional(),
        observed: z.number().optional(),
        prevented: IntervalSchema.optional(),
        fit: z
          .object({
            weeks: z.number().int(),
            level_shifts: z.number().int(),
            seasonal: z.boolean(),
          })
          .optional(),
      })
      .optional()
      .openapi({
        description:
          'Without a holdout, for the target reasons: the contacts a local-level ' +
          'model of the weeks before the campaign predicts for its window (yearly ' +
          "season, the linked event's usual effect, level shifts found in the history, " +
          'partial weeks by their hour-of-week share, only from the start) minus those ' +
          'observed, interval by simulation. Observational: it assumes nothing else ' +
          'changed; refused when the model fitted the weeks before poorly, and for an ' +
          "incident's or a maintenance's banner, whose window holds the contacts the " +
          'incident itself brings.',
      }),
  })
  .openapi('CampaignImpact');

export type CampaignImpact = z.infer<typeof CampaignImpactSchema>;
