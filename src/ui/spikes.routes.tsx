import { inHeavyReadTurn } from '../http/heavy-reads';
import { recomputeAll } from '../modules/spikes/refresh-verdicts';
import {
  findSpikes,
  type SpikeReport,
  type SpikeView,
  spikeWeeks,
} from '../modules/spikes/spikes.service';
import {
  Card,
  type Column,
  EmptyState,
  PageHeader,
  PeriodControl,
  Pill,
  Table,
} from '../view-kit/components';
import { PostForm } from '../view-kit/fields';
import {
  type ConsoleContext,
  createConsoleRouter,
  done,
  forRequestedPeriod,
  postedForm,
  render,
  signedIn,
} from './console-router';
import { mayOpen, PAGE_ROLES } from './layout';
import { expectedContacts, SpikeChance } from './spike-figures';
import { TrailNote } from './ticket-trail';

export const spikeRoutes = createConsoleRouter();

const percent = (share: number) => `${Math.round(share * 100)}%`;

const columns: Column<SpikeView>[] = [
  { header: 'Week of', cell: (s) => s.week },
  {
    header: 'Reason',
    cell: (s) => (
      <a href={`/console/reasons?reason=${encodeURIComponent(s.reason)}&from=${s.week}`}>
        {s.label}
      </a>
    ),
  },
  { header: 'Contacts', cell: (s) => s.observed, numeric: true },
  { header: 'Expected', cell: (s) => expectedContacts(s.expected), numeric: true },
  { header: 'Chance in a usual week', cell: (s) => <SpikeChance spike={s} />, numeric: true },
  { header: 'Excess', cell: (s) => Math.round(s.excess), numeric: true },
  {
    header: 'Explained by',
    cell: (s) =>
      s.events.length === 0
        ? 'no known event'
        : s.events.map((e) => (
            <>
              <bdi>{e.title}</bdi> ({percent(e.share)}){' '}
            </>
          )),
  },
  { header: 'Unexplained', cell: (s) => Math.round(s.unexplained), numeric: true },
  { header: 'Severity', cell: (s) => <Pill>{s.severity}</Pill> },
];

const DetectionState = ({ report }: { report: SpikeReport }) => (
  <p class="meta">
    {report.computed_through
      ? `Verdicts cover weeks up to ${report.computed_through}`
      : 'No verdicts yet: detection runs once tickets arrive'}
    {report.pending ? ' · changes are being taken into account now' : ''}
    {` · ${report.reasons_tested} reasons tested at a false-discovery rate of `}
    {percent(report.alpha)}.
  </p>
);

/** Reasons by label, with their weeks with contacts; nothing when there are none. */
const ReasonList = (props: { title: string; reasons: SpikeReport['insufficient_history'] }) =>
  props.reasons.length === 0 ? (
    ''
  ) : (
    <p>
      <strong>{props.title}:</strong>{' '}
      {props.reasons.map((r, i) => (
        <>
          {i > 0 ? ', ' : ''}
          <bdi>{r.label}</bdi> ({r.history_weeks})
        </>
      ))}
    </p>
  );

/**
 * Reasons without a contact in the year, folded away: a retired reason would otherwise head the
 * list for good, though there is nothing left to judge.
 */
const SilentReasons = (props: { reasons: SpikeReport['insufficient_history'] }) =>
  props.reasons.length === 0 ? (
    ''
  ) : (
    <details>
      <summary>
        {props.reasons.length === 1
          ? '1 reason had no contact in the year before the last week shown'
          : `${props.reasons.length} reasons had no contact in the year before the last week shown`}
      </summary>
      <p>
        {props.reasons.map((r, i) => (
          <>
            {i > 0 ? ', ' : ''}
            <bdi>{r.label}</bdi>
          </>
        ))}
      </p>
    </details>
  );

const WEEK_MS = 7 * 86_400_000;
const shiftWeeks = (day: string, weeks: number) =>
  new Date(Date.parse(`${day}T00:00:00Z`) + weeks * WEEK_MS).toISOString().slice(0, 10);

/** The same number of weeks just before and just after, a click away. */
const PeriodSteps = ({ from, to }: { from: string; to: string }) => {
  const weeks = Math.round((Date.parse(to) - Date.parse(from)) / WEEK_MS) + 1;
  const link = (start: string, end: string) =>
    `/console/spikes?${new URLSearchParams({ from: start, to: end })}`;
  return (
    <nav class="pager" aria-label="Other weeks">
      <a href={link(shiftWeeks(from, -weeks), shiftWeeks(from, -1))}>{weeks} weeks earlier</a>
      <a href={link(shiftWeeks(to, 1), shiftWeeks(to, weeks))}>{weeks} weeks later</a>
    </nav>
  );
};

async function spikesPage(c: ConsoleContext) {
  const { session } = c.var;
  // Its weeks are checked before it queues; the spikes are read in its turn.
  const checked = await forRequestedPeriod(c, async (period) => {
    const weeks = await spikeWeeks(c.var.deps, period);
    return inHeavyReadTurn(c, () => findSpikes(c.var.deps, period, weeks));
  });
  if ('page' in checked) return checked.page;
  const report = checked.value;
  return render(
    c,
    'Spikes',
    <>
      <PageHeader title="Spikes" meta={<DetectionState report={report} />} />
      <TrailNote data={report.data} to={report.to} page="/console/spikes" />
      <PeriodControl action="/console/spikes" from={report.from} to={report.to} />
      {mayOpen(session, 'detection') ? (
        <PostForm action="/console/spikes/detect" csrf={session.csrfToken}>
          <button type="submit" class="secondary">
            Run detection now
          </button>
        </PostForm>
      ) : (
        ''
      )}
      <Card id="spikes" title={`Weeks ${report.from} to ${report.to}, newest first`}>
        <Table
          columns={columns}
          rows={[...report.spikes].reverse()}
          empty="No spike in these weeks."
        />
        <PeriodSteps from={report.from} to={report.to} />
      </Card>
      <Card id="anomalies" title="Data anomalies">
        {report.data_anomalies.length === 0 ? (
          <EmptyState>No day where many reasons jumped at once.</EmptyState>
        ) : (
          <ul>
            {report.data_anomalies.map((a) => (
              <li>
                {a.day}:{' '}
                {a.reasons.map((r, i) => (
                  <>
                    {i > 0 ? ', ' : ''}
                    <bdi>{r.reason}</bdi> ({r.contacts})
                  </>
                ))}
              </li>
            ))}
          </ul>
        )}
      </Card>
      <Card id="new-reasons" title="Too few recent weeks to judge">
        {report.insufficient_history.length === 0 ? (
          <EmptyState>Every reason has enough history.</EmptyState>
        ) : (
          <>
            <p class="meta">
              Reasons with contacts in fewer than {report.insufficient_history[0]?.needed_weeks} of
              the last 52 weeks; in brackets, how many weeks they had.
            </p>
            <ReasonList
              title="New"
              reasons={report.insufficient_history.filter((r) => !r.went_quiet)}
            />
            <ReasonList
              title="Gone quiet or rare"
              reasons={report.insufficient_history.filter(
                (r) => r.went_quiet && r.history_weeks > 0,
              )}
            />
            <SilentReasons
              reasons={report.insufficient_history.filter(
                (r) => r.went_quiet && r.history_weeks === 0,
              )}
            />
          </>
        )}
      </Card>
    </>,
  );
}

spikeRoutes.get('/console/spikes', signedIn(PAGE_ROLES.spikes), (c) => spikesPage(c));

spikeRoutes.post('/console/spikes/detect', signedIn(PAGE_ROLES.detection), async (c) => {
  await postedForm(c);
  await recomputeAll(c.var.deps);
  return done(c, '/console/spikes', 'Detection is running; verdicts update within a minute.');
});
