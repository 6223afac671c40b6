import { z } from '@hono/zod-openapi';
import { createRouter } from '../../http/create-router';
import { defineRoute, json } from '../../http/define-route';
import { dayInput } from '../../http/time-input';
import { preventedContactsReport } from './prevented-contacts-report.service';
import { reportCsv } from './report-csv';
import { renderReportPage } from './report-page';

const day = dayInput().openapi({ example: '2026-03-01' });
const Interval = z.object({ estimate: z.number(), low: z.number(), high: z.number() });
const Rates = {
  contacts: z.number().int(),
  recontacts: z.number().int(),
  resolved: z.number().int(),
  recontact_rate: z.number().nullable(),
  resolution_rate: z.number().nullable(),
};
const GroupView = z.object({
  accounts: z.number().int(),
  target_contacts: z.number(),
  contacts: z.number(),
  recontact_rate: z.number().nullable(),
  resolution_rate: z.number().nullable(),
  cost_per_resolution_cents: z.number().int().nullable(),
});

const ReportSchema = z
  .object({
    from: z.string(),
    to: z.string(),
    time_zone: z.string(),
    cost_per_ticket_cents: z.number().int(),
    totals: z.object({
      ...Rates,
      cost_per_resolution_cents: z.number().int().nullable(),
      prevented: Interval,
      prevented_observational: Interval.nullable(),
      savings_cents: Interval,
      deflection_rate: z.number().nullable(),
      campaigns: z.number().int(),
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
        target_reasons: z.array(z.string()),
        method: z.enum(['holdout', 'observational']),
        measurement: z.enum(['final', 'so_far']),
        prevented: Interval.nullable(),
        reason: z.string().nullable(),
        lift: Interval.nullable(),
        p_value: z.number().nullable(),
        savings_cents: Interval.nullable(),
        deflection_rate: z.number().nullable(),
        treated: GroupView,
        holdout: GroupView,
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
    'Per campaign whose measurement window touches the period: prevented contacts for its ' +
    'target reasons with a 95% interval (against its holdout; observational, labelled, when it ' +
    'has none), lift, p-value, savings = prevented × COST_PER_TICKET, deflection rate = ' +
    'prevented / (treated contacts + prevented), and the 48-hour re-contact rate and resolution ' +
    "rate of treated against held-out accounts. Per reason and per week: the period's contacts, " +
    're-contact rate (re-contacts / contacts), resolution rate (resolved / contacts) and the ' +
    'prevented contacts measured against holdouts (point estimates that add up to the ' +
    "campaigns'). Totals: the same, cost per resolution = contacts × COST_PER_TICKET / resolved, " +
    'and deflection rate = prevented / (contacts + prevented). Rates are fractions (0–1), money ' +
    'in cents. `format=csv` answers the same as one CSV table (a `section` column), ' +
    '`format=html` as a printable page with charts.',
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
