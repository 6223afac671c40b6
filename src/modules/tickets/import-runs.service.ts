import { and, desc, eq, getTableColumns, isNull, lt, or, sql } from 'drizzle-orm';
import { v7 as uuidv7 } from 'uuid';
import { retryingTransaction } from '../../db/retry-transaction';
import { type TicketImportRow, ticketImports } from '../../db/schema';
import type { Deps } from '../../deps';
import { AppError, type FieldError } from '../../http/app-error';
import { cutToLength, displayLine } from '../../lib/display-line';
import { type CsvBatch, csvBatches, type ImportOptions } from './csv-batches';
import { gunzippedCsv } from './gunzip';
import { keepErrors } from './import.service';
import { settleAfterIngest, writeBatch } from './ingest.service';
import { KeptBatches } from './kept-batches';
import type { NormalizedTicket } from './normalize-tickets';
import { addSummary, type IngestSummary } from './ticket-input';

/** A run not heard from for this long is taken to have stopped, and another may take it. */
const LEASE_MS = 2 * 60_000;
/** A run that failed this often (not for its data) is given up on. */
const MAX_ATTEMPTS = 3;
/** Reasons kept per run: more than any file of real contact reasons names. */
const MAX_REASONS = 500;

export type ImportRun = Omit<TicketImportRow, 'upload'>;

/** Longer than any real export's name; a name is shown in titles and lists, never used. */
const MAX_FILE_NAME = 200;

/** An uploaded file's name as kept and shown: on one line, cut short past `MAX_FILE_NAME`. */
export function shownFileName(name: string): string {
  const line = displayLine(name) || 'upload.csv';
  return line.length <= MAX_FILE_NAME ? line : `${cutToLength(line, MAX_FILE_NAME - 1)}…`;
}

/** A .csv or a .csv.gz as uploaded: gzip starts with these two bytes, whatever the name. */
export function csvOfUpload(deps: Deps, upload: Uint8Array): ReadableStream<Uint8Array> {
  const bytes = new Blob([upload]).stream();
  return upload[0] === 0x1f && upload[1] === 0x8b
    ? gunzippedCsv(bytes, deps.config.importMaxBytes)
    : bytes;
}

/**
 * Reads the whole file as the import will, writing nothing: a malformed file, or a bad row
 * when bad rows reject the import, is refused here, before any run starts. `firstTickets`: the
 * good rows of its first batch, as they would be stored. `batches`: all of them, for the run
 * to write without reading the file again, while the process-wide budget for kept batches has room for them
 * (see `KeptBatches`); the caller hands them to the run or drops them.
 */
export async function checkCsvUpload(
  deps: Deps,
  upload: Uint8Array,
  options: ImportOptions,
): Promise<{ rows: number; firstTickets: NormalizedTicket[]; batches?: KeptBatches }> {
  let rows = 0;
  let firstTickets: NormalizedTicket[] | undefined;
  let batches: KeptBatches | undefined = new KeptBatches();
  try {
    for await (const batch of csvBatches(deps, csvOfUpload(deps, upload), options)) {
      rows += batch.prepared.received + batch.unreadable;
      firstTickets ??= batch.prepared.tickets;
      if (batches && !batches.keep(batch)) {
        batches.drop();
        batches = undefined;
      }
    }
  } catch (error) {
    batches?.drop();
    throw error;
  }
  return { rows, firstTickets: firstTickets ?? [], batches };
}

/**
 * Records a checked upload as a run under the form's one-time token, for `runImport` to take
 * up. A token already used (the same form submitted again) records nothing: its run is
 * answered instead.
 */
export async function startImportRun(
  deps: Deps,
  input: {
    formToken: string;
    apiKeyId: string | null;
    fileName: string;
    upload: Uint8Array;
    options: ImportOptions;
    rowsTotal: number;
    checkedAt: Date;
  },
): Promise<{ id: string; started: boolean }> {
  const [created] = await deps.db
    .insert(ticketImports)
    .values({
      id: uuidv7(),
      status: 'running',
      createdAt: deps.clock.now(),
      progressAt: deps.clock.now(),
      ...input,
      fileName: shownFileName(input.fileName),
      upload: Buffer.from(input.upload).toString('base64'),
    })
    .onConflictDoNothing({ target: ticketImports.formToken })
    .returning({ id: ticketImports.id });
  if (created) return { id: created.id, started: true };
  const existing = await importRunByToken(deps, input.formToken);
  if (!existing) throw new Error('an import token was taken and its run is gone');
  return { id: existing.id, started: false };
}

/** A run as its page shows it: everything but the upload. */
export const importRunById = async (deps: Deps, id: string): Promise<ImportRun> => {
  const { upload: _upload, ...shown } = getTableColumns(ticketImports);
  const [run] = await deps.db.select(shown).from(ticketImports).where(eq(ticketImports.id, id));
  if (!run) throw new AppError('not_found', 'There is no such import.');
  return run;
};

/** The run a form's one-time token started, if it started one. */
export const importRunByToken = async (deps: Deps, formToken: string) => {
  const [run] = await deps.db
    .select({ id: ticketImports.id })
    .from(ticketImports)
    .where(eq(ticketImports.formToken, formToken));
  return run;
};

/** The latest runs, newest first, without their uploads. */
export const recentImportRuns = (deps: Deps, limit: number) =>
  deps.db
    .select({
      id: ticketImports.id,
      fileName: ticketImports.fileName,
      status: ticketImports.status,
      rowsTotal: ticketImports.rowsTotal,
      received: ticketImports.received,
      createdAt: ticketImports.createdAt,
    })
    .from(ticketImports)
    .orderBy(desc(ticketImports.createdAt))
    .limit(limit);

/** Takes over runs whose instance stopped answering (a crash, a shutdown, a Worker cut off). */
export async function resumeImports(deps: Deps, stop?: AbortSignal): Promise<void> {
  const stalled = await deps.db
    .select({ id: ticketImports.id })
    .from(ticketImports)
    .where(and(eq(ticketImports.status, 'running'), leaseFree(deps.clock.now())))
    .orderBy(ticketImports.createdAt);
  for (const { id } of stalled) {
    if (stop?.aborted) return;
    await runImport(deps, id);
  }
}

const leaseFree = (now: Date) =>
  or(isNull(ticketImports.leaseUntil), lt(ticketImports.leaseUntil, now));

class LostClaim extends Error {}

/**
 * Imports a run's upload batch by batch, each batch committed with the line it reached and
 * the running totals, only while this claim holds. Taken over after a crash, a run skips the
 * batches committed already: the same lines end the same batches on every read. `checked`:
 * the batches the check read from this upload, at the run's checkedAt, written instead of
 * reading the file a second time (a run taken over reads its stored upload). They are dropped
 * one by one as they are written, and all of them once the run ends, however it ends.
 */
export async function runImport(deps: Deps, id: string, checked?: KeptBatches): Promise<void> {
  try {
    await claimAndImport(deps, id, checked);
  } finally {
    checked?.drop();
  }
}

async function claimAndImport(deps: Deps, id: string, checked?: KeptBatches): Promise<void> {
  const claim = uuidv7();
  const [run] = await deps.db
    .update(ticketImports)
    .set({
      claim,
      leaseUntil: leaseFrom(deps),
      progressAt: deps.clock.now(),
      attempts: sql`${ticketImports.attempts} + 1`,
    })
    .where(
      and(
        eq(ticketImports.id, id),
        eq(ticketImports.status, 'running'),
        leaseFree(deps.clock.now()),
      ),
    )
    .returning();
  if (!run) return;
  if (run.attempts > MAX_ATTEMPTS) {
    await finish(
      deps,
      run,
      claim,
      'failed',
      `Stopped after ${MAX_ATTEMPTS} attempts: ${run.failure}`,
    );
    return;
  }
  try {
    await importBatches(deps, run, claim, checked);
  } catch (error) {
    if (error instanceof LostClaim) return;
    const message = error instanceof Error ? error.message : String(error);
    if (error instanceof AppError) {
      await finish(deps, run, claim, 'failed', error.detail);
      return;
    }
    deps.logger.error('ticket import stopped; it is taken up again within a minute', {
      import_id: id,
      error: message,
    });
    await deps.db
      .update(ticketImports)
      .set({ failure: message, leaseUntil: null, claim: null })
      .where(and(eq(ticketImports.id, id), eq(ticketImports.claim, claim)))
      .catch(() => {});
  }
}

async function importBatches(
  deps: Deps,
  run: TicketImportRow,
  claim: string,
  checked: KeptBatches | undefined,
): Promise<void> {
  if (!run.upload) throw new AppError('malformed_body', 'The upload is gone.');
  // Rows are judged against the moment the file was checked, as they were then.
  const asChecked: Deps = { ...deps, clock: { now: () => run.checkedAt } };
  const options = run.options as ImportOptions;
  const progress = {
    received: run.received,
    inserted: run.inserted,
    updated: run.updated,
    duplicates: run.duplicates,
    rejected: run.rejected,
    repeated: run.repeated,
    errors: run.errors as FieldError[],
    reasons: run.reasons as Record<string, number>,
    firstCreatedAt: run.firstCreatedAt,
    lastCreatedAt: run.lastCreatedAt,
  };
  let changed = false;
  const batches =
    checked?.take() ??
    csvBatches(asChecked, csvOfUpload(deps, Buffer.from(run.upload, 'base64')), options);
  for await (const batch of batches) {
    if (batch.lastLine <= run.linesDone) continue;
    await retryingTransaction(deps.db, async (tx) => {
      const summary = await writeBatch(tx, asChecked, batch.prepared);
      const next = advance(progress, summary, batch);
      const [held] = await tx
        .update(ticketImports)
        .set({
          ...next,
          linesDone: batch.lastLine,
          leaseUntil: leaseFrom(deps),
          progressAt: deps.clock.now(),
        })
        .where(and(eq(ticketImports.id, run.id), eq(ticketImports.claim, claim)))
        .returning({ id: ticketImports.id });
      if (!held) throw new LostClaim();
      Object.assign(progress, next);
      changed ||= summary.inserted + summary.updated > 0;
    });
  }
  await finish(deps, run, claim, 'succeeded', null);
  if (changed || run.inserted + run.updated > 0) settleAfterIngest(deps);
}

/** The run's totals after one more batch (a copy: the batch may yet roll back). */
function advance(
  progress: {
    received: number;
    inserted: number;
    updated: number;
    duplicates: number;
    rejected: number;
    repeated: number;
    errors: FieldError[];
    reasons: Record<string, number>;
    firstCreatedAt: Date | null;
    lastCreatedAt: Date | null;
  },
  summary: IngestSummary,
  batch: CsvBatch,
) {
  const next = { ...progress, errors: [...progress.errors], reasons: { ...progress.reasons } };
  addSummary(next, summary);
  next.received += batch.unreadable;
  next.rejected += batch.unreadable;
  keepErrors(next.errors, batch.errors);
  for (const ticket of batch.prepared.tickets) {
    const label = ticket.reasonLabel;
    if (label in next.reasons || Object.keys(next.reasons).length < MAX_REASONS) {
      next.reasons[label] = (next.reasons[label] ?? 0) + 1;
    }
    const at = new Date(ticket.createdAt);
    if (!next.firstCreatedAt || at < next.firstCreatedAt) next.firstCreatedAt = at;
    if (!next.lastCreatedAt || at > next.lastCreatedAt) next.lastCreatedAt = at;
  }
  return next;
}

async function finish(
  deps: Deps,
  run: ImportRun,
  claim: string,
  status: 'succeeded' | 'failed',
  failure: string | null,
): Promise<void> {
  await deps.db
    .update(ticketImports)
    .set({
      status,
      failure,
      upload: null,
      claim: null,
      leaseUntil: null,
      finishedAt: deps.clock.now(),
    })
    .where(and(eq(ticketImports.id, run.id), eq(ticketImports.claim, claim)));
}

const leaseFrom = (deps: Deps) => new Date(deps.clock.now().getTime() + LEASE_MS);
