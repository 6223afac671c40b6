import { EVENT_KINDS } from '../db/schema';
import { EventInputSchema } from '../modules/events/events.routes';
import { createEvent, listOccurrences } from '../modules/events/events.service';
import { type HolidayImport, importHolidays } from '../modules/events/holidays.service';
import { findPatterns } from '../modules/patterns/patterns.service';
import { smallWeeklyChart, weeklyContactsChart } from '../modules/reports/report-charts';
import { weeklyChartInput } from '../modules/reports/weekly-chart-input';
import {
  Card,
  ChartContainer,
  EmptyState,
  PageHeader,
  PeriodControl,
  Pill,
  Table,
} from '../view-kit/components';
import { PostForm, SelectField, TextField } from '../view-kit/fields';
import { emptyForm, type FormState, utcInstant } from '../view-kit/form-state';
import { campaignShortcut } from './campaign-form';
import {
  type ConsoleContext,
  createConsoleRouter,
  forRequestedPeriod,
  render,
  signedIn,
} from './console-router';
import type { ConsoleSession } from './console-session';
import { type FormProblem, formPost, type Parsed, withSchema } from './form-post';
import { AreaLink, mayOpen, PAGE_ROLES } from './layout';
import { TrailNote } from './ticket-trail';

export const reasonRoutes = createConsoleRouter();
const DAY_MS = 86_400_000;

async function reasonsPage(
  c: ConsoleContext,
  forms: { event?: FormState; holidays?: FormState } = {},
  problem?: FormProblem,
) {
  const { deps, session } = c.var;
  const now = deps.clock.now();
  const reason = c.req.query('reason') || undefined;
  // The chart is drawn as soon as its data is read, while the patterns are still being read.
  const [{ value: chartData, problem: periodProblem }, upcoming, patterns] = await Promise.all([
    forRequestedPeriod(c, async (period) => {
      const { weekly, chart } = await weeklyChartInput(deps, {
        top: 6,
        reasons: reason ? [reason] : undefined,
        ...period,
      });
      const svg =
        weekly.series.length === 0
          ? ''
          : smallWeeklyChart(chart)
            ? weeklyContactsChart(chart)
            : await deps.compute('weeklyChart', chart);
      return { weekly, svg };
    }),
    listOccurrences(deps, { from: now, to: new Date(now.getTime() + 90 * DAY_MS) }),
    findPatterns(deps, { weeks: 52 }).then((found) => found.patterns),
  ]);
  const { weekly, svg: chartSvg } = chartData;
  const labels = new Map(weekly.series.map((s) => [s.reason, s.label]));
  const eventForm = { ...(forms.event ?? emptyForm({ kind: 'billing_run' })), idPrefix: 'event-' };
  const holidayForm = {
    ...(forms.holidays ?? emptyForm({ year: String(now.getUTCFullYear() + 1) })),
    idPrefix: 'holiday-',
  };
  const csrf = session.csrfToken;
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
        <PatternTable patterns={patterns} session={session} />
      </Card>
      <div class="grid">
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
        </Card>
        {mayOpen(session, 'calendar') ? (
          <CalendarForms
            csrf={csrf}
            event={eventForm}
            holidays={holidayForm}
            workspaceZone={deps.config.workspaceTimeZone}
          />
        ) : (
          ''
        )}
      </div>
    </>,
    {
      status: problem?.status ?? (periodProblem ? 400 : undefined),
      flash:
        problem || periodProblem
          ? { ok: false, text: problem?.summary ?? periodProblem ?? '' }
          : undefined,
    },
  );
}

/** Adding events and importing holidays, for the roles that may change the calendar. */
const CalendarForms = (props: {
  csrf: string;
  event: FormState;
  holidays: FormState;
  workspaceZone: string;
}) => (
  <>
    <Card id="event" title="Add an event">
      <PostForm action="/console/reasons/events" csrf={props.csrf}>
        <SelectField state={props.event} name="kind" label="Kind" options={EVENT_KINDS} />
        <TextField state={props.event} name="title" label="Title" required />
        <TextField
          state={props.event}
          name="starts_at"
          label="Starts (UTC)"
          type="datetime-local"
        />
        <TextField state={props.event} name="ends_at" label="Ends (UTC)" type="datetime-local" />
        <TextField
          state={props.event}
          name="rrule"
          label="Repeats"
          hint="RFC 5545 rule, e.g. FREQ=MONTHLY;BYMONTHDAY=1"
          placeholder="FREQ=MONTHLY;BYMONTHDAY=1"
        />
        <TextField
          state={props.event}
          name="time_zone"
          label="Repeats in time zone"
          hint={`keeps its local time there across daylight-saving changes; empty: ${props.workspaceZone}`}
          placeholder={props.workspaceZone}
        />
        <button type="submit">Add event</button>
      </PostForm>
    </Card>
    <Card id="holidays" title="Import public holidays">
      <PostForm action="/console/reasons/holidays" csrf={props.csrf}>
        <TextField
          state={props.holidays}
          name="country"
          label="Country"
          required
          placeholder="DE"
          hint="two-letter code"
        />
        <TextField state={props.holidays} name="year" label="Year" type="number" />
        <button type="submit">Import</button>
      </PostForm>
    </Card>
  </>
);

type Pattern = Awaited<ReturnType<typeof findPatterns>>['patterns'][number];

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

const holidaysInput = (values: Record<string, string>): Parsed<HolidayImport> => {
  const year = Number(values.year);
  const country = (values.country ?? '').trim();
  const errors: Record<string, string> = {};
  if (!/^[A-Za-z]{2}$/.test(country))
    errors.country = 'Enter a two-letter country code such as DE or US.';
  if (!Number.isInteger(year) || year < 2000 || year > 2100)
    errors.year = 'Enter a year between 2000 and 2100.';
  return Object.keys(errors).length > 0 ? { errors } : { data: { country, years: [year] } };
};

reasonRoutes.get('/console/reasons', signedIn(PAGE_ROLES.reasons), (c) => reasonsPage(c));

const eventInput = withSchema(EventInputSchema, (values) => ({
  kind: values.kind,
  title: values.title,
  starts_at: utcInstant(values.starts_at) ?? '',
  ends_at: utcInstant(values.ends_at) ?? '',
  rrule: values.rrule || null,
  time_zone: values.time_zone || null,
}));

reasonRoutes.post(
  '/console/reasons/events',
  signedIn(PAGE_ROLES.calendar),
  formPost(eventInput, {
    page: (c, event, problem) => reasonsPage(c, { event }, problem),
    invalid: 'The event was not added.',
    save: async (c, input) => {
      await createEvent(c.var.deps, input);
      return { to: '/console/reasons', message: `Added "${input.title}".` };
    },
  }),
);

reasonRoutes.post(
  '/console/reasons/holidays',
  signedIn(PAGE_ROLES.calendar),
  formPost(holidaysInput, {
    page: (c, holidays, problem) => reasonsPage(c, { holidays }, problem),
    invalid: 'Nothing was imported.',
    save: async (c, input) => {
      const result = await importHolidays(c.var.deps, input);
      const message = `Imported ${result.imported} holidays (${result.updated} updated).`;
      return { to: '/console/reasons', message };
    },
  }),
);
