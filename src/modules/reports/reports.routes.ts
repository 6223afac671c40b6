import { z } from '@hono/zod-openapi';
import { REPORT_PAGE_POLICY } from '../../http/content-security-policies';
import { createRouter } from '../../http/create-router';
import { defineRoute, json } from '../../http/define-route';
import { inHeavyReadTurn } from '../../http/heavy-reads';
import { serializedJson } from '../../http/serialized-json';
import { dayInput } from '../../http/time-input';
import { DEFLECTION_RATE, INTERVAL_KIND } from '../impact/impact-schemas';
import {
  preventedContactsReport,
  preventedContactsReportJson,
  reportPeriod,
} from './prevented-contacts-report.service';
import { reportCsv } from './report-csv';
import { renderReportPage } from './report-page';
import { type PreventedContactsReport, PreventedContactsReportSchema } from './report-schemas';

const day = dayInput().openapi({ example: '2026-03-01' });

const reportRoute = defineRoute({
  access: { roles: ['analyst'] },
  method: 'get',
  path: '/v1/reports/prevented-contacts',
  tags: ['Reports'],
  summary: "The leaders' report: prevented contacts, savings and companion metrics",
  description:
    'Per campaign that ran (not a draft, nor one cancelled before any account was shown or ' +
    'sent it: one cancelled after its email went out is here, `status` cancelled) and whose ' +
    'measurement window touches the period (to IMPACT_WINDOW_DAYS after its end, or after its ' +
    'cancellation for a cancelled one): net prevented contacts (every ' +
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
        ...json(PreventedContactsReportSchema),
        'text/csv': { schema: z.string() },
        'text/html': { schema: z.string() },
      },
    },
  },
});

export const reportRoutes = createRouter().openapi(reportRoute, async (c) => {
  const { deps } = c.var;
  const { format, ...period } = c.req.valid('query');
  // The period is checked before the report queues: a refused one is answered at once.
  reportPeriod(deps, period);
  if (format === 'json') {
    return serializedJson<PreventedContactsReport>(
      c,
      await inHeavyReadTurn(c, () => preventedContactsReportJson(deps, period)),
    );
  }
  return inHeavyReadTurn(c, async () => {
    const report = await preventedContactsReport(deps, period);
    if (format === 'csv') {
      const fileName = `prevented-contacts-${report.from}-${report.to}.csv`;
      return c.body(reportCsv(report), 200, {
        'Content-Type': 'text/csv; charset=utf-8',
        'Content-Disposition': `attachment; filename="${fileName}"`,
      });
    }
    return c.html(await renderReportPage(deps, report), 200, {
      'Content-Security-Policy': REPORT_PAGE_POLICY,
    });
  });
});
