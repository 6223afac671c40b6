import { AppError } from '../http/app-error';
import { preventedContactsReport } from '../modules/reports/prevented-contacts-report.service';
import { reportCsv } from '../modules/reports/report-csv';
import { reportSections } from '../modules/reports/report-page';
import { Message, PageHeader, PeriodControl } from '../view-kit/components';
import { type ConsoleContext, createConsoleRouter, render, signedIn } from './console-router';
import { PAGE_ROLES } from './layout';

export const reportRoutes = createConsoleRouter();
const analyst = signedIn(PAGE_ROLES.reports);

const period = (c: ConsoleContext) => {
  const day = (value: string | undefined) =>
    value && /^\d{4}-\d{2}-\d{2}$/.test(value) ? value : undefined;
  return { from: day(c.req.query('from')), to: day(c.req.query('to')) };
};

reportRoutes.get('/console/reports', analyst, async (c) => {
  let report: Awaited<ReturnType<typeof preventedContactsReport>>;
  try {
    report = await preventedContactsReport(c.var.deps, period(c));
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    return render(
      c,
      'Reports',
      <>
        <PageHeader title="Prevented contacts" />
        <Message flash={{ ok: false, text: error.detail }} />
        <p>
          <a href="/console/reports">Back to the last 12 weeks</a>
        </p>
      </>,
      { status: 400 },
    );
  }
  const query = `from=${report.from}&to=${report.to}`;
  return render(
    c,
    'Reports',
    <>
      <PeriodControl action="/console/reports" from={report.from} to={report.to}>
        <a href={`/console/reports.csv?${query}`} download>
          Download CSV
        </a>
      </PeriodControl>
      {await reportSections(c.var.deps, report)}
    </>,
  );
});

reportRoutes.get('/console/reports.csv', analyst, async (c) => {
  const report = await preventedContactsReport(c.var.deps, period(c));
  const filename = `prevented-contacts-${report.from}-${report.to}.csv`;
  return c.body(reportCsv(report), 200, {
    'Content-Type': 'text/csv; charset=utf-8',
    'Content-Disposition': `attachment; filename="${filename}"`,
  });
});
