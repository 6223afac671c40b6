import type { Child } from 'hono/jsx';
import type { Deps } from '../../deps';
import { ChartContainer, type Column, EmptyState, Table } from '../../view-kit/components';
import { Document, renderToString } from '../../view-kit/document';
import { indistinguishableFromNone } from '../impact/effect-reading';
import {
  deflectionNoneText,
  NO_HOLDOUT_ESTIMATE,
  preventedRangeText,
  savedText,
} from './effect-text';
import { smallWeeklyChart, weeklyContactsChart } from './report-charts';
import {
  formatCount,
  formatHours,
  formatInterval,
  formatMoney,
  formatPercent,
} from './report-format';
import type { PreventedContactsReport } from './report-schemas';
import {
  inNetTotal,
  netTreatedContacts,
  OBSERVATIONAL_CAVEAT,
  OBSERVATIONAL_SUM_LABEL,
  observationalOverlapNote,
  observationalSum,
  type TotalsCoverage,
  totalsCoverage,
} from './totals-coverage';
import { measuredWindows, weeklyChartInput } from './weekly-chart-input';

type Campaign = PreventedContactsReport['campaigns'][number];

const pair = (treated: number | null, holdout: number | null, show = formatPercent) =>
  `${show(treated)} / ${show(holdout)}`;

const Tile = (props: { figure: string; children?: Child }) => (
  <div class="tile">
    <b>{props.figure}</b>
    <span>{props.children}</span>
  </div>
);

/** The net total, savings and deflection: no estimate, or the figures and what they show. */
const NetTiles = ({
  report,
  covers,
}: {
  report: PreventedContactsReport;
  covers: TotalsCoverage;
}) => {
  const { prevented, savings_cents: saved } = report.totals;
  if (!prevented || !saved) {
    return (
      <Tile figure="–">
        net contacts prevented, saved and deflection rate: {NO_HOLDOUT_ESTIMATE} ({covers.net})
      </Tile>
    );
  }
  const deflectionNone = deflectionNoneText(prevented, netTreatedContacts(report.campaigns));
  const savedNone = indistinguishableFromNone(prevented);
  return (
    <>
      <Tile figure={formatInterval(prevented).estimate}>
        net contacts prevented, every reason
        {savedNone ? ': ' : ' ('}
        {preventedRangeText(prevented)}
        {savedNone ? '' : ')'}, {covers.net}
      </Tile>
      {savedNone ? (
        <Tile figure="–">
          saved: {savedText(prevented, saved, report.currency)}, {covers.sameAsNet}
        </Tile>
      ) : (
        <Tile figure={formatMoney(saved.estimate, report.currency)}>
          saved ({formatMoney(saved.low, report.currency)} to{' '}
          {formatMoney(saved.high, report.currency)}), {covers.sameAsNet}
        </Tile>
      )}
      <Tile figure={deflectionNone ? '–' : formatPercent(report.totals.deflection_rate)}>
        deflection rate{deflectionNone ? `: ${deflectionNone}` : ''}, {covers.sameAsNet}
      </Tile>
    </>
  );
};

const TotalTiles = ({
  report,
  covers,
}: {
  report: PreventedContactsReport;
  /** Which campaigns each total covers (the digest says the same). */
  covers: TotalsCoverage;
}) => {
  const { totals, currency } = report;
  return (
    <section class="tiles" aria-label="Totals">
      <NetTiles report={report} covers={covers} />
      {totals.target_prevented && totals.shifted ? (
        <Tile figure={formatCount(totals.target_prevented.estimate)}>
          prevented for the target reasons, of which {formatCount(totals.shifted.estimate)} shifted
          to other reasons, {covers.target}
        </Tile>
      ) : (
        ''
      )}
      <Tile figure={formatCount(totals.contacts)}>contacts in the period</Tile>
      <Tile figure={formatPercent(totals.csat)}>
        CSAT (ratings 4–5, {formatCount(totals.csat_responses)} rated)
      </Tile>
      <Tile figure={formatHours(totals.first_response_median_hours)}>
        median first response (p90 {formatHours(totals.first_response_p90_hours)})
      </Tile>
      <Tile figure={formatPercent(totals.recontact_rate)}>re-contacts within 48 h</Tile>
      <Tile figure={formatPercent(totals.resolution_rate)}>resolved</Tile>
      <Tile figure={formatMoney(totals.cost_per_resolution_cents, currency)}>
        cost per resolution
      </Tile>
      <Tile figure={pair(totals.churn_rate.treated, totals.churn_rate.holdout)}>
        churned in the window, treated / held out (downgraded{' '}
        {pair(totals.downgrade_rate.treated, totals.downgrade_rate.holdout)}), {covers.sameAsNet}
      </Tile>
    </section>
  );
};

const n = <Row,>(header: string, cell: (row: Row) => Child): Column<Row> => ({
  header,
  cell,
  numeric: true,
});

const title = (c: Campaign) => <bdi>{c.title}</bdi>;

/** Final or so far, and the kind of interval: a holdout's, or an observational simulation. */
const answerLabel = (c: Campaign) =>
  c.method === 'observational'
    ? `${c.measurement === 'final' ? 'final' : 'so far'}, observational estimate`
    : c.measurement === 'final'
      ? 'final (fixed horizon)'
      : 'so far (always valid)';

const campaignColumns = (
  currency: string,
  impactHref?: (campaignId: string) => string,
): Column<Campaign>[] => [
  {
    header: 'Campaign',
    cell: (c) => (
      <>
        {impactHref ? <a href={impactHref(c.id)}>{title(c)}</a> : title(c)}
        <br />
        <span class="label">
          {c.status}, {answerLabel(c)}
        </span>
        {c.exposure.note ? (
          <>
            <br />
            <span class="label">{c.exposure.note}</span>
          </>
        ) : (
          ''
        )}
        {c.holdout_reached.accounts > 0 ? (
          <>
            <br />
            <span class="label">
              {formatCount(c.holdout_reached.accounts)} of {formatCount(c.holdout_reached.held_out)}{' '}
              held out were emailed anyway (shared addresses): understated
            </span>
          </>
        ) : (
          ''
        )}
      </>
    ),
  },
  { header: 'Method', cell: (c) => c.method },
  n('Net prevented', (c) =>
    !c.prevented ? (
      <span title={c.reason ?? ''}>no estimate</span>
    ) : c.method === 'observational' ? (
      // Without a holdout only the target reasons are estimated: not a net figure.
      <>
        {formatInterval(c.prevented, 1).estimate}
        <br />
        <span class="label">target reasons, observational</span>
      </>
    ) : (
      formatInterval(c.prevented, 1).estimate
    ),
  ),
  // In the words the digest and the impact page use: the range, or that it could be none.
  n('95% interval', (c) => (c.prevented ? preventedRangeText(c.prevented, 1) : (c.reason ?? ''))),
  n(
    'Target / shifted',
    (c) =>
      `${formatCount(c.target_prevented?.estimate, 1)} / ${formatCount(c.shifted?.estimate, 1)}`,
  ),
  n('Saved', (c) =>
    c.method === 'holdout' &&
    c.prevented &&
    c.savings_cents &&
    indistinguishableFromNone(c.prevented)
      ? savedText(c.prevented, c.savings_cents, currency)
      : formatMoney(c.savings_cents?.estimate, currency),
  ),
  n(
    'Deflection',
    (c) =>
      (c.method === 'holdout' &&
        c.prevented &&
        deflectionNoneText(c.prevented, c.treated.contacts)) ||
      formatPercent(c.deflection_rate),
  ),
  n('CSAT treated / held out', (c) => pair(c.treated.csat, c.holdout.csat)),
  n('First response (median) treated / held out', (c) =>
    pair(c.treated.first_response_median_hours, c.holdout.first_response_median_hours, formatHours),
  ),
  n('Re-contacts treated / held out', (c) =>
    pair(c.treated.recontact_rate, c.holdout.recontact_rate),
  ),
  n('Resolved treated / held out', (c) =>
    pair(c.treated.resolution_rate, c.holdout.resolution_rate),
  ),
  n('Churn treated / held out', (c) => pair(c.treated.churn_rate, c.holdout.churn_rate)),
];

type ReasonRow = PreventedContactsReport['reasons'][number];
const REASON_COLUMNS: Column<ReasonRow>[] = [
  { header: 'Reason', cell: (r) => r.label },
  n('Contacts', (r) => formatCount(r.contacts)),
  n('Re-contacts', (r) => formatPercent(r.recontact_rate)),
  n('Resolved', (r) => formatPercent(r.resolution_rate)),
  n('CSAT', (r) => formatPercent(r.csat)),
  n('First response (median)', (r) => formatHours(r.first_response_median_hours)),
  n('Prevented', (r) => formatCount(r.prevented, 1)),
];

type WeekRow = PreventedContactsReport['weeks'][number];
const weekColumns = (currency: string): Column<WeekRow>[] => [
  { header: 'Week of', cell: (w) => w.week },
  n('Contacts', (w) => formatCount(w.contacts)),
  n('Re-contacts', (w) => formatPercent(w.recontact_rate)),
  n('Resolved', (w) => formatPercent(w.resolution_rate)),
  n('CSAT', (w) => formatPercent(w.csat)),
  n(
    'First response median / p90',
    (w) =>
      `${formatHours(w.first_response_median_hours)} / ${formatHours(w.first_response_p90_hours)}`,
  ),
  n('Prevented', (w) => formatCount(w.prevented, 1)),
  n('Saved', (w) => formatMoney(w.savings_cents, currency)),
];

/**
 * Companion warnings (contacts down while a companion figure compares worse with the held-out
 * accounts'), each under the campaign it is about where more than one is shown; nothing when
 * there are none.
 */
export const ServiceWarnings = ({
  warnings,
}: {
  warnings: { title?: string; message: string }[];
}) =>
  warnings.length === 0 ? (
    ''
  ) : (
    <section class="warnings" aria-label="Warnings">
      <h2>Fewer contacts, worse figures than held-out accounts</h2>
      <ul>
        {warnings.map((w) => (
          <li>
            {w.title ? (
              <>
                <b>{w.title}</b>:{' '}
              </>
            ) : (
              ''
            )}
            {w.message}
          </li>
        ))}
      </ul>
    </section>
  );

const measuredInterval = (c: Campaign) =>
  c.prevented
    ? [
        {
          // Charted beside net figures: an observational one is of the target reasons only.
          title:
            c.method === 'observational' ? `${c.title} (observational, target reasons)` : c.title,
          ...c.prevented,
        },
      ]
    : [];

/** Why there are no savings to chart: what was measured and what each campaign lacks. */
const NothingMeasured = ({ report }: { report: PreventedContactsReport }) => (
  <EmptyState>
    {report.campaigns.length === 0
      ? "No savings to chart: no published campaign's measurement window touches " +
        `${report.from} to ${report.to}.`
      : `No savings to chart yet: none of the ${report.campaigns.length} campaigns in this ` +
        'period has an estimate against a holdout. '}
    {report.campaigns.map((c) => (
      <>
        {' '}
        <bdi>{c.title}</bdi>:{' '}
        {c.method === 'observational' && c.prevented
          ? 'observational (no holdout), not counted as savings.'
          : `${c.reason ?? 'no estimate yet'}.`}
      </>
    ))}
  </EmptyState>
);

type Reconciliation = {
  label: string;
  prevented: number;
  savings_cents: number;
};

/**
 * How the weekly rows add up to the headline. The headline counts each campaign over its whole
 * measurement window, adjusted by each account's contacts before exposure; the weekly rows are
 * unadjusted and cover only the period's weeks. The reason rows cover the whole windows
 * unadjusted, so they split the difference into the weeks outside the period and the adjustment.
 */
function reconcile(report: PreventedContactsReport): Reconciliation[] {
  const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);
  const inPeriod = sum(report.weeks.map((w) => w.prevented));
  const inPeriodCents = sum(report.weeks.map((w) => w.savings_cents));
  const wholeWindows = sum(report.reasons.map((r) => r.prevented));
  const outside = wholeWindows - inPeriod;
  const outsideCents = Math.round(outside * report.cost_per_ticket_cents);
  // Shown only with a net total (`anySavings`).
  const total = report.totals.prevented?.estimate ?? 0;
  const totalCents = report.totals.savings_cents?.estimate ?? 0;
  return [
    {
      label: 'Weeks of this period (the rows above)',
      prevented: inPeriod,
      savings_cents: inPeriodCents,
    },
    {
      label: "Weeks of the campaigns' measurement windows outside this period",
      prevented: outside,
      savings_cents: outsideCents,
    },
    {
      label: "Adjustment for each account's contacts before exposure, and rounding",
      prevented: total - wholeWindows,
      savings_cents: totalCents - inPeriodCents - outsideCents,
    },
    {
      label: 'Total: the headline',
      prevented: total,
      savings_cents: totalCents,
    },
  ];
}

const reconciliationColumns = (currency: string): Column<Reconciliation>[] => [
  { header: 'Part', cell: (r) => r.label },
  n('Prevented', (r) => formatCount(r.prevented, 1)),
  n('Saved', (r) => formatMoney(r.savings_cents, currency)),
];

/** The report's content (with its charts), for the page below and the console. */
export async function reportSections(
  deps: Deps,
  report: PreventedContactsReport,
  /** Shown under the heading, before the figures: the console's period form and notes. */
  controls: Child = '',
  /** Where a campaign's title leads (the console's impact page); the API's page links none. */
  impactHref?: (campaignId: string) => string,
) {
  const { chart } = await weeklyChartInput(
    deps,
    { from: report.from, to: report.to, top: 6 },
    measuredWindows(report.campaigns),
  );
  const measured = report.campaigns.flatMap(measuredInterval);
  const observational = observationalSum(report);
  const overlapNote = observationalOverlapNote(report);
  const anyContacts = chart.series.length > 0;
  const anySavings = report.campaigns.some(inNetTotal);
  const savings = {
    currency: report.currency,
    weeks: report.weeks.map((w) => ({
      week: w.week,
      savings: w.savings_cents / 100,
    })),
  };
  // Drawing the charts grows with the weeks and campaigns shown: off the request thread.
  const [weeklySvg, preventedSvg, savingsSvg] = await Promise.all([
    !anyContacts
      ? ''
      : smallWeeklyChart(chart)
        ? weeklyContactsChart(chart)
        : deps.compute('weeklyChart', chart),
    measured.length > 0 ? deps.compute('preventedChart', measured) : '',
    anySavings ? deps.compute('savingsChart', savings) : '',
  ]);
  return (
    <div class="report">
      <header>
        <h1>Prevented contacts</h1>
        <p class="meta">
          {report.from} to {report.to} ({report.time_zone}) · cost per ticket{' '}
          {formatMoney(report.cost_per_ticket_cents, report.currency)}
        </p>
      </header>
      {controls}
      <div>
        <ServiceWarnings
          warnings={report.campaigns.flatMap((c) =>
            c.warnings.map((w) => ({ title: c.title, message: w.message })),
          )}
        />
        <TotalTiles report={report} covers={totalsCoverage(report)} />
        {observational || overlapNote ? (
          <p class="label">
            {OBSERVATIONAL_SUM_LABEL}: {observational ?? 'no total'}.
            {overlapNote ? ` ${overlapNote}` : ''}
          </p>
        ) : (
          ''
        )}
        {anyContacts ? (
          <ChartContainer
            svg={weeklySvg}
            caption="Pins mark spikes; grey bands are events, blue bands campaign windows."
          />
        ) : (
          <EmptyState>
            No contacts between {report.from} and {report.to}: nothing to chart by reason.
          </EmptyState>
        )}
        {measured.length > 0 ? <ChartContainer svg={preventedSvg} /> : ''}
        {anySavings ? (
          <ChartContainer
            svg={savingsSvg}
            caption={
              'The weeks of this period only, unadjusted: ' +
              'the Weeks table shows how they add up to the headline.'
            }
          />
        ) : (
          <NothingMeasured report={report} />
        )}

        <h2>Campaigns</h2>
        <Table
          rows={report.campaigns}
          columns={campaignColumns(report.currency, impactHref)}
          empty="No campaign was measured in this period."
        />
        <h2>Reasons</h2>
        <Table rows={report.reasons} columns={REASON_COLUMNS} />
        <h2>Weeks</h2>
        <Table rows={report.weeks} columns={weekColumns(report.currency)} />
        {anySavings ? (
          <Table
            rows={reconcile(report)}
            columns={reconciliationColumns(report.currency)}
            caption="From the weekly rows to the headline"
          />
        ) : (
          ''
        )}
        <p class="meta">
          Prevented contacts compare each campaign's exposed accounts with its held-out accounts
          over the campaign's measurement window (to {deps.config.impactWindowDays} days after it
          ends), each account adjusted by its own contacts in the 8 weeks before; net counts every
          reason, so contacts that only moved to another reason (shifted) are not savings. Intervals
          read while a window runs stay valid however often they are read; once it closes they are
          fixed-horizon. {OBSERVATIONAL_CAVEAT} Per reason and per week the figures are unadjusted
          point estimates over every reason; a negative one is a reason that received contacts.
          Deflection rate = net prevented / (treated accounts' contacts + net prevented), over the
          same accounts and windows. CSAT = share of ratings 4 or 5.
        </p>
      </div>
    </div>
  );
}

/** The leaders' report as a printable page: the same numbers as the JSON and the CSV. */
export async function renderReportPage(
  deps: Deps,
  report: PreventedContactsReport,
): Promise<string> {
  return renderToString(
    <Document title={`Prevented contacts, ${report.from} to ${report.to}`} layout="report-page">
      {/* The console puts the same sections inside its own main. */}
      <main>{await reportSections(deps, report)}</main>
    </Document>,
  );
}
