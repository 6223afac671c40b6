import { z } from '@hono/zod-openapi';
import { createRouter } from '../../http/create-router';
import { defineRoute, json } from '../../http/define-route';
import { dayInput } from '../../http/time-input';
import {
  CompanionSchema,
  DEFLECTION_RATE,
  INTERVAL_KIND,
  IntervalSchema,
  WarningSchema,
} from '../impact/impact-schemas';
import { preventedContactsReport } from './prevented-contacts-report.service';
import { reportCsv } from './report-csv';
import { renderReportPage } from './report-page';

const day = dayInput().openapi({ example: '2026-03-01' });
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

const ReportSchema = z
  .object({
    from: z.string(),
    to: z.string(),
    time_zone: z.string(),
    cost_per_ticket_cents: z.number().int(),
    totals: z.object({
      ...Rates,
      cost_per_resolution_cents: z.number().int().nullable(),
      prevented: IntervalSchema.openapi({
        description:
          'Net prevented contacts (every reason) of the campaigns measured against a holdout, ' +
          'with an interval (their errors added in quadrature).',
      }),
      target_prevented: IntervalSchema,
      shifted: IntervalSchema.openapi({
        description: 'target_prevented − prevented: contacts moved to other reasons.',
      }),
      prevented_observational: IntervalSchema.nullable(),
      savings_cents: IntervalSchema,
      deflection_rate: z.number().nullable().openapi({ description: DEFLECTION_RATE }),
      churn_rate: ByGroup,
      downgrade_rate: ByGroup,
      campaigns: z.number().int(),
      warnings: z.number().int(),
    }),
    campaigns: z.array(
      z.object({
        id: z.string(),
        title: z.string(),
        channels: z.array(z.string()),
        status: z.string(),
        starts_at: z.string().nullable(),
        ends_at: z.string().nullable(),
        window_ends_at: z.string(),
        measured_at: z.string().openapi({
          description:
            'When the measurement was taken: by the measure-campaigns job (every 10 minutes), ' +
            'or for this answer when the job has not measured the campaign lately.',
        }),
        target_reasons: z.array(z.string()),
        method: z.enum(['holdout', 'observational']),
        measurement: z.enum(['final', 'so_far']),
        interval_kind: z.enum(['fixed_horizon', 'always_valid']),
        prevented: IntervalSchema.nullable(),
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
        lift: IntervalSchema.nullable(),
        deflection_rate: z.number().nullable(),
        treated: CompanionSchema,
        holdout: CompanionSchema,
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

const reportRoute = defineRoute({
  access: { roles: ['analyst'] },
  method: 'get',
  path: '/v1/reports/prevented-contacts',
  tags: ['Reports'],
  summary: "The leaders' report: prevented contacts, savings and companion metrics",
  description:
    'Per campaign whose measurement window touches the period: net prevented contacts (every ' +
    'reason; the headline) with a 95% interval against its holdout (observational, labelled ' +
    'and kept out of the totals, when it has none), the target-reason effect beside it and ' +
    'the difference as shifted contacts, p-value, savings = net prevented × COST_PER_TICKET, ' +
    'deflection rate, and the companion metrics of treated against held-out accounts ' +
    '(re-contact and resolution rates, cost per resolution, CSAT, first response median and ' +
    'p90, churn and downgrade rates), with a warning when contacts went down while CSAT fell ' +
    'or re-contacts or churn rose. ' +
    INTERVAL_KIND +
    " Per reason and per week: the period's contacts with the same rates and the prevented " +
    'contacts measured against holdouts, unadjusted point estimates over every reason that add ' +
    "up to the campaigns' unadjusted net ones (negative for a reason that received contacts). " +
    'Totals: the same, cost per resolution = contacts × COST_PER_TICKET / resolved. ' +
    DEFLECTION_RATE +
    ' Rates are fractions (0–1), money in cents, times in hours. `format=csv` answers the same ' +
    'as one CSV table (a `section` column), `format=html` as a printable page with charts.',
  request: {
    query: z.object({
      from: day
        .optional()
        .openapi({ description: 'First day (workspace time zone); default 12 weeks back.' }),
      to: day.optional().openapi({ description: 'Last day, included; default today.' }),
      format: z.enum(['json', 'csv', 'html']).default('json'),
    }),
  },
  responses: {
    200: {
      description: 'The report',
      content: {
        ...json(ReportSchema),
        'text/csv': { schema: z.string() },
        'text/html': { schema: z.string() },
      },
    },
  },
});

export const reportRoutes = createRouter().openapi(reportRoute, async (c) => {
  const { deps } = c.var;
  const { format, ...period } = c.req.valid('query');
  const report = await preventedContactsReport(deps, period);
  if (format === 'csv') {
    return c.body(reportCsv(report), 200, {
      'Content-Type': 'text/csv; charset=utf-8',
      'Content-Disposition': `attachment; filename="prevented-contacts-${report.from}-${report.to}.csv"`,
    });
  }
  if (format === 'html') return c.html(await renderReportPage(deps, report), 200);
  return c.json(report, 200);
});
