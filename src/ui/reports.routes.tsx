import type { Deps } from '../deps';
import { inHeavyReadTurn } from '../http/heavy-reads';
import { ticketWeeks } from '../modules/reasons/ticket-weeks';
import { addWeeks } from '../modules/reasons/weeks';
import {
  preventedContactsReport,
  reportPeriod,
} from '../modules/reports/prevented-contacts-report.service';
import { reportCsv } from '../modules/reports/report-csv';
import { reportSections } from '../modules/reports/report-page';
import { Note, PeriodControl } from '../view-kit/components';
import {
  createConsoleRouter,
  forRequestedPeriod,
  render,
  requestedPeriod,
  signedIn,
} from './console-router';
import { PAGE_ROLES } from './layout';

export const reportRoutes = createConsoleRouter();
const analyst = signedIn(PAGE_ROLES.reports);

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * The default period is the last 12 weeks of the calendar; an imported history that ended
 * before them would show a report of zeros. Said, with a link to where the tickets are.
 */
const TicketsElsewhere = async (props: {
  deps: Deps;
  report: { from: string; to: string; totals: { contacts: number } };
}) => {
  if (props.report.totals.contacts > 0) return '';
  const data = await ticketWeeks(props.deps);
  if (!data) return '';
  const to = new Date(Date.parse(addWeeks(data.usual_through, 1)) - DAY_MS);
  const last12 = new URLSearchParams({
    from: addWeeks(data.usual_through, -11),
    to: to.toISOString().slice(0, 10),
  });
  return (
    <Note>
      No contacts between {props.report.from} and {props.report.to}: your tickets run from the week
      of {data.first_week} to the week of {data.last_week}.{' '}
      <a href={`/console/reports?${last12}`}>
        Show the last 12 weeks of usual volume, to {last12.get('to')}
      </a>
      .
    </Note>
  );
};

reportRoutes.get('/console/reports', analyst, async (c) => {
  const { deps } = c.var;
  // The period is checked before the page queues; what it reads, and draws, in its turn.
  const checked = await forRequestedPeriod(c, (period) => {
    reportPeriod(deps, period);
    return inHeavyReadTurn(c, async () => {
      const report = await preventedContactsReport(deps, period);
      const query = `from=${report.from}&to=${report.to}`;
      return reportSections(
        deps,
        report,
        <>
          <PeriodControl action="/console/reports" from={report.from} to={report.to}>
            <a href={`/console/reports.csv?${query}`} download>
              Download CSV
            </a>
          </PeriodControl>
          <TicketsElsewhere deps={deps} report={report} />
        </>,
        (campaignId) => `/console/campaigns/${campaignId}/impact`,
      );
    });
  });
  if ('page' in checked) return checked.page;
  return render(c, 'Reports', checked.value);
});

reportRoutes.get('/console/reports.csv', analyst, async (c) => {
  const period = requestedPeriod(c);
  reportPeriod(c.var.deps, period);
  const report = await inHeavyReadTurn(c, () => preventedContactsReport(c.var.deps, period));
  const filename = `prevented-contacts-${report.from}-${report.to}.csv`;
  return c.body(reportCsv(report), 200, {
    'Content-Type': 'text/csv; charset=utf-8',
    'Content-Disposition': `attachment; filename="${filename}"`,
  });
});
