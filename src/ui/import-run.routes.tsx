import { formatInTimeZone } from 'date-fns-tz';
import { AppError, type FieldError } from '../http/app-error';
import { countOf } from '../lib/count-words';
import { type ImportWait, importWait } from '../modules/tickets/import-run-wait';
import {
  type ImportRun,
  importRunById,
  type recentImportRuns,
} from '../modules/tickets/import-runs.service';
import { Card, Instant, Note, PageHeader, Table } from '../view-kit/components';
import {
  type ConsoleContext,
  createConsoleRouter,
  foundOr,
  isUuid,
  render,
  signedIn,
} from './console-router';
import { PAGE_ROLES } from './layout';

export const importRunRoutes = createConsoleRouter();
const ops = signedIn(PAGE_ROLES.import);

/** How often a running import's page reloads itself (a meta refresh: no script needed). */
const REFRESH_SECONDS = 2;

export const runPath = (id: string) => `/console/import/runs/${id}`;

/** What the rows came to: new, updated, already known and skipped. */
const outcome = (run: ImportRun) =>
  `${countOf(run.inserted, 'new ticket')}, ` +
  (run.updated > 0 ? `${run.updated.toLocaleString('en')} updated, ` : '') +
  `${run.duplicates.toLocaleString('en')} already known` +
  (run.rejected > 0 ? `, ${countOf(run.rejected, 'bad row')} skipped` : '') +
  (run.repeated > 0
    ? ` (${run.repeated.toLocaleString('en')} of these repeated a ticket earlier in the ` +
      'file; the last copy is kept)'
    : '');

const percent = (run: ImportRun) =>
  run.rowsTotal === 0 ? 100 : Math.floor((100 * run.received) / run.rowsTotal);

const STATUS_LABELS = { running: 'running', succeeded: 'done', failed: 'failed' } as const;

export const RecentImports = (props: { runs: Awaited<ReturnType<typeof recentImportRuns>> }) => (
  <Table
    columns={[
      {
        header: 'File',
        cell: (run) => <a href={runPath(run.id)}>{run.fileName}</a>,
      },
      { header: 'Started', cell: (run) => <Instant at={run.createdAt.toISOString()} /> },
      {
        header: 'State',
        cell: (run) =>
          run.status === 'running'
            ? `running: ${run.received.toLocaleString('en')} of ${countOf(run.rowsTotal, 'row')}`
            : `${STATUS_LABELS[run.status]}: ${countOf(run.received, 'row')}`,
      },
    ]}
    rows={props.runs}
    empty="No file imported here yet."
  />
);

/** The weeks an import's tickets fall in, as the pages' period links take them. */
function importedPeriod(c: ConsoleContext, run: ImportRun) {
  if (!run.firstCreatedAt || !run.lastCreatedAt) return undefined;
  const zone = c.var.deps.config.workspaceTimeZone;
  return {
    from: formatInTimeZone(run.firstCreatedAt, zone, 'yyyy-MM-dd'),
    to: formatInTimeZone(run.lastCreatedAt, zone, 'yyyy-MM-dd'),
  };
}

const WhereItShows = (props: { period: { from: string; to: string } }) => {
  const query = new URLSearchParams(props.period);
  return (
    <>
      <p>
        Its tickets were opened from {props.period.from} to {props.period.to}.{' '}
        <a href={`/console/reasons?${query}`}>Contact reasons in those weeks</a> ·{' '}
        <a href={`/console/spikes?${query}`}>Spikes in those weeks</a>
      </p>
      <p class="hint">
        Contact reasons and Spikes open on the latest weeks of all tickets stored, which may not be
        the weeks of this file; these links open its own weeks.
      </p>
    </>
  );
};

const ReasonsInFile = (props: { run: ImportRun; period?: { from: string; to: string } }) => {
  const rows = Object.entries(props.run.reasons as Record<string, number>)
    .map(([label, rows]) => ({ label, rows }))
    .sort((a, b) => b.rows - a.rows || a.label.localeCompare(b.label));
  const link = (label: string) =>
    `/console/reasons?${new URLSearchParams({ reason: label, ...props.period })}`;
  return (
    <Table
      columns={[
        { header: 'Reason', cell: (row) => <a href={link(row.label)}>{row.label}</a> },
        { header: 'Rows', cell: (row) => row.rows.toLocaleString('en'), numeric: true },
      ]}
      rows={rows.slice(0, 30)}
      caption={rows.length > 30 ? `The 30 largest of ${rows.length} reasons` : undefined}
      empty="No row was imported."
    />
  );
};

const SkippedRows = (props: { errors: FieldError[]; rejected: number }) =>
  props.rejected === 0 ? (
    ''
  ) : (
    <Card id="skipped" title={`Skipped rows (${props.rejected.toLocaleString('en')})`}>
      <Table
        columns={[
          { header: 'Where', cell: (e) => e.path },
          { header: 'Problem', cell: (e) => e.message },
        ]}
        rows={props.errors}
        caption={
          props.rejected > props.errors.length ? `The first ${props.errors.length}` : undefined
        }
      />
    </Card>
  );

/** A run that wrote nothing lately: since when, and when resume-imports takes it up. */
const Waiting = (props: { wait: ImportWait; failure: string | null }) => (
  <Note>
    No rows written since <Instant at={props.wait.since.toISOString()} />
    {props.wait.lapsed
      ? `: its server stopped${props.failure ? ` (${props.failure})` : ''}. It is taken up again`
      : '. If its server stopped, it is taken up again'}{' '}
    by about <Instant at={props.wait.resumesBy.toISOString()} />, after the last rows written
    {props.wait.lapsed ? '' : ', once its claim lapses'}.
  </Note>
);

function runningPage(c: ConsoleContext, run: ImportRun) {
  const wait = importWait(run, c.var.deps.clock.now());
  return render(
    c,
    `Importing ${run.fileName}`,
    <>
      <PageHeader
        title={`Importing ${run.fileName}`}
        meta={
          <>
            Started <Instant at={run.createdAt.toISOString()} />
          </>
        }
      />
      <Card id="progress" title="Progress">
        <progress max={run.rowsTotal} value={run.received} aria-labelledby="progress-text" />
        <p id="progress-text" role="status">
          {run.received.toLocaleString('en')} of {countOf(run.rowsTotal, 'row')} written (
          {percent(run)}%): {outcome(run)}.
        </p>
        {wait ? (
          <Waiting wait={wait} failure={run.failure} />
        ) : run.failure ? (
          <Note>
            It stopped once ({run.failure}); it is taken up again within a minute, after the last
            rows written.
          </Note>
        ) : (
          ''
        )}
        <p class="hint">
          {wait ? 'This page' : 'The import goes on if you leave this page; it'} refreshes itself
          every {REFRESH_SECONDS} seconds, and <a href="/console/import">Import</a> lists it under
          recent imports.
        </p>
      </Card>
    </>,
    {
      // To the page's own address: the message a redirect brought is not repeated.
      head: <meta http-equiv="refresh" content={`${REFRESH_SECONDS}; url=${runPath(run.id)}`} />,
    },
  );
}

function finishedPage(c: ConsoleContext, run: ImportRun) {
  const period = importedPeriod(c, run);
  const failed = run.status === 'failed';
  const title = failed ? `Import of ${run.fileName} stopped` : `Imported ${run.fileName}`;
  return render(
    c,
    title,
    <>
      <PageHeader
        title={title}
        meta={
          <>
            Started <Instant at={run.createdAt.toISOString()} />, finished{' '}
            <Instant at={run.finishedAt?.toISOString()} />
          </>
        }
      />
      <Card id="result" title={failed ? 'What happened' : 'Done'}>
        {failed ? (
          <>
            <p role="alert">{run.failure}</p>
            <p>
              {run.received > 0
                ? `${countOf(run.received, 'row')} of ${run.rowsTotal.toLocaleString('en')} ` +
                  `were written before it stopped (${outcome(run)}). `
                : 'Nothing from it was written. '}
              Importing the file again adds what is missing: tickets already stored are known by
              their source and id, and never stored twice. <a href="/console/import">Import</a>
            </p>
          </>
        ) : (
          <p role="status">
            Imported {countOf(run.received, 'row')}: {outcome(run)}.
            {run.inserted + run.updated > 0
              ? ' Spike detection runs on the new history in the background.'
              : ''}
          </p>
        )}
        {period ? <WhereItShows period={period} /> : ''}
      </Card>
      <Card id="reasons" title="Reasons in the file">
        <ReasonsInFile run={run} period={period} />
      </Card>
      <SkippedRows errors={run.errors as FieldError[]} rejected={run.rejected} />
    </>,
  );
}

importRunRoutes.get('/console/import/runs/:id', ops, async (c) => {
  const id = c.req.param('id') ?? '';
  const lookup = await foundOr(
    c,
    async () => {
      if (!isUuid(id)) throw new AppError('not_found', 'There is no such import.');
      return importRunById(c.var.deps, id);
    },
    { href: '/console/import', label: 'Import tickets' },
  );
  if ('page' in lookup) return lookup.page;
  const run = lookup.found;
  return run.status === 'running' ? runningPage(c, run) : finishedPage(c, run);
});
