import { inHeavyReadTurn } from '../http/heavy-reads';
import { listOccurrences } from '../modules/events/events.service';
import { findPatterns } from '../modules/patterns/patterns.service';
import { smallWeeklyChart, weeklyContactsChart } from '../modules/reports/report-charts';
import { chartWeeks, weeklyChartInput } from '../modules/reports/weekly-chart-input';
import {
  Card,
  ChartContainer,
  EmptyState,
  PageHeader,
  PeriodControl,
  Pill,
  Table,
} from '../view-kit/components';
import { campaignShortcut } from './campaign-form';
import {
  type ConsoleContext,
  createConsoleRouter,
  forRequestedPeriod,
  render,
  signedIn,
} from './console-router';
import type { ConsoleSession } from './console-session';
import { AreaLink, mayOpen, PAGE_ROLES } from './layout';
import { TrailNote } from './ticket-trail';

export const reasonRoutes = createConsoleRouter();
const DAY_MS = 86_400_000;

async function reasonsPage(c: ConsoleContext) {
  const { deps, session } = c.var;
  const now = deps.clock.now();
  const reason = c.req.query('reason') || undefined;
  const checked = await forRequestedPeriod(c, (period) => chartWeeks(deps, period));
  if ('page' in checked) return checked.page;
  // The chart is drawn as soon as its data is read, while the patterns are still being read.
  const [chartData, upcoming, patterns] = await inHeavyReadTurn(c, () =>
    Promise.all([
      (async () => {
        const query = { top: 6, reasons: reason ? [reason] : undefined };
        const { weekly, chart } = await weeklyChartInput(deps, query, [], checked.value);
        const svg =
          weekly.series.length === 0
            ? ''
            : smallWeeklyChart(chart)
              ? weeklyContactsChart(chart)
              : await deps.compute('weeklyChart', chart);
        return { weekly, svg };
      })(),
      listOccurrences(deps, { from: now, to: new Date(now.getTime() + 90 * DAY_MS) }),
      findPatterns(deps, { weeks: 52 }),
    ]),
  );
  const { weekly, svg: chartSvg } = chartData;
  const labels = new Map(weekly.series.map((s) => [s.reason, s.label]));
  const period = { from: weekly.weeks[0] ?? '', to: weekly.weeks.at(-1) ?? '' };
  const drill = (params: Record<string, string>) =>
    `/console/reasons?${new URLSearchParams({ ...params, ...period })}`;
  return render(
    c,
    'Contact reasons',
    <>
      <PageHeader
        title="Contact reasons"
        meta={
          weekly.anchored_to === 'latest_week_with_tickets'
            ? `Ending at the latest week with tickets (${period.to}).`
            : weekly.anchored_to === 'end_of_usual_volume'
              ? `Ending at the last week of usual volume (${period.to}).`
              : undefined
        }
      />
      <TrailNote data={weekly.data} to={period.to} page="/console/reasons" />
      <PeriodControl action="/console/reasons" from={period.from} to={period.to}>
        {reason ? <input type="hidden" name="reason" value={reason} /> : ''}
      </PeriodControl>
      <Card
        id="chart"
        title={reason ? `Weekly contacts: ${labels.get(reason) ?? reason}` : 'Top reasons by week'}
      >
        {weekly.series.length === 0 ? (
          weekly.data ? (
            <EmptyState>
              No tickets in these weeks. Tickets cover {weekly.data.first_week} to{' '}
              {weekly.data.last_week}:{' '}
              <a href={`/console/reasons?to=${weekly.data.last_week}`}>show the latest weeks</a>.
            </EmptyState>
          ) : (
            <EmptyState>
              No tickets yet. Import them with <code>npm run import</code> or POST /v1/tickets.
            </EmptyState>
          )
        ) : (
          <ChartContainer
            svg={chartSvg}
            caption={
              <>
                Pins mark spikes; grey bands are events. Reasons:{' '}
                {weekly.series.map((s) => (
                  <>
                    <a href={drill({ reason: s.reason })}>{s.label}</a>{' '}
                  </>
                ))}
                {reason ? (
                  <>
                    {' '}
                    · <a href={drill({})}>top reasons</a>
                  </>
                ) : (
                  ''
                )}
              </>
            }
          />
        )}
      </Card>
      <Card id="patterns" title="Preventable patterns">
        <PatternTable patterns={patterns.patterns.slice(0, SHOWN_PATTERNS)} session={session} />
        <p>
          Listed when the excess around an event is unlikely to be chance: of the patterns listed,
          at most {patterns.false_discovery_rate * 100}% are expected to be chance (false-discovery
          rate, across the {patterns.pairs_tested} events and reasons tested).
          {patterns.patterns.length > SHOWN_PATTERNS
            ? ` The first ${SHOWN_PATTERNS} of ${patterns.patterns.length}; GET /v1/patterns lists them all.`
            : ''}
        </p>
      </Card>
      <Card id="calendar" title="Next 90 days">
        {upcoming.length === 0 ? (
          <EmptyState>Nothing on the calendar.</EmptyState>
        ) : (
          <ul>
            {upcoming.slice(0, 30).map((o) => (
              <li>
                {o.starts_at.slice(0, 10)} <bdi>{o.title}</bdi> <Pill>{o.kind}</Pill>
              </li>
            ))}
          </ul>
        )}
        <p>
          <AreaLink session={session} area="events" href="/console/events">
            {mayOpen(session, 'calendar')
              ? 'All events: add, edit or delete them, import holidays'
              : 'All events'}
          </AreaLink>
        </p>
      </Card>
    </>,
  );
}

type Pattern = Awaited<ReturnType<typeof findPatterns>>['patterns'][number];
const SHOWN_PATTERNS = 50;

const PatternTable = ({ patterns, session }: { patterns: Pattern[]; session: ConsoleSession }) => (
  <Table
    rows={patterns}
    empty="No reason spikes again and again around the same kind of event yet."
    columns={[
      { header: 'Reason', cell: (p) => p.label },
      { header: 'Around', cell: (p) => p.group.title },
      { header: 'Spiked', cell: (p) => `${p.occurrences_with_excess} of ${p.occurrences_seen}` },
      {
        header: 'Expected next',
        cell: (p) =>
          `${Math.round(p.expected_contacts_next)}${
            p.next_occurrence ? ` (${p.next_occurrence.starts_at.slice(0, 10)})` : ''
          }`,
      },
      {
        header: '',
        cell: (p) => (
          <AreaLink session={session} area="campaigns" href={campaignShortcut(p)}>
            Create campaign
          </AreaLink>
        ),
      },
    ]}
  />
);

reasonRoutes.get('/console/reasons', signedIn(PAGE_ROLES.reasons), (c) => reasonsPage(c));
