import type { Deps } from '../../deps';
import { AppError, type FieldError } from '../../http/app-error';
import { csvBatches, type ImportOptions, lineOf } from './csv-batches';
import { settleAfterIngest, writeBatch } from './ingest.service';
import type { NormalizedTicket } from './normalize-tickets';
import {
  storedUnderOtherSource,
  storedUnderOtherSourceInBatch,
  storedUnderOtherSourceProblem,
  type TicketKey,
} from './other-source';
import { addSummary, emptySummary, type IngestSummary } from './ticket-input';

export type { ImportOptions } from './csv-batches';

export const MAX_REPORTED_ERRORS = 50;

export type ImportResult = IngestSummary & { errors: FieldError[] };

/**
 * Imports a CSV stream in one transaction: with `reject`, a malformed file, a file of no rows
 * or any bad row writes nothing (400 naming the line); with `skip`, bad rows are counted and
 * listed. A file whose first tickets look stored already under another source writes nothing
 * (409), unless `storeAnyway`: as the console asks, only its first batch is looked up, once
 * as it is read and once more just before the import commits.
 * Memory stays flat whatever the file size: rows are written in batches as they arrive.
 */
export async function importCsvTickets(
  deps: Deps,
  bytes: ReadableStream<Uint8Array>,
  options: ImportOptions & { storeAnyway?: boolean },
): Promise<ImportResult> {
  const result: ImportResult = { ...emptySummary(), errors: [] };
  await deps.db.transaction(async (tx) => {
    let firstTickets: NormalizedTicket[] | undefined;
    // Of the tickets this import inserts, those with the ids of its first: looked up again at
    // the end, they are its own, not stored already. Kept to those ids, they stay few.
    let firstIds = new Set<string>();
    const own: TicketKey[] = [];
    const keepOwn = (inserted: NormalizedTicket[]) => {
      for (const { source, externalId } of inserted) {
        if (firstIds.has(externalId)) own.push({ source, externalId });
      }
    };
    for await (const batch of csvBatches(deps, bytes, options)) {
      if (!firstTickets && !options.storeAnyway) {
        firstTickets = batch.prepared.tickets;
        firstIds = new Set(firstTickets.map((t) => t.externalId));
        // Refuses at once, before the rest is read, a file imported already.
        const other = await storedUnderOtherSource(tx, firstTickets);
        if (other) throw storedUnderOtherSourceProblem(other, IN_A_FILE);
      }
      keepErrors(result.errors, batch.errors);
      addSummary(result, await writeBatch(tx, deps, batch.prepared, { inserted: keepOwn }));
      result.received += batch.unreadable;
      result.rejected += batch.unreadable;
    }
    // Most often the wrong file, or an export cut short: a 200 of zeros would hide it.
    if (result.received === 0) {
      const message = 'The file has no rows to import: it is empty, or holds only its header.';
      throw new AppError('validation_failed', `${message} Nothing was imported.`, [
        { location: 'body', path: 'body', message },
      ]);
    }
    // Looked up again as POST /v1/tickets looks up a file's first batch, taking turns with the
    // others until this commits: the same file imported meanwhile under another new source
    // committed after the look-up above, unseen by it. The turn is taken here, at the end,
    // not for the whole import, which can take minutes. A batch holding the turn while it
    // waits for rows this import wrote is a deadlock Postgres ends by failing one of the two:
    // the batch is run again, or the import answers 503 to retry, having stored nothing.
    const other =
      firstTickets && (await storedUnderOtherSourceInBatch(tx, firstTickets, 'first of file', own));
    if (other) throw storedUnderOtherSourceProblem(other, IN_A_FILE);
  });
  settleAfterIngest(deps);
  // Rows are checked as read, reasons as each batch is written: reported in line order.
  result.errors.sort((a, b) => lineOf(a.path) - lineOf(b.path));
  return result;
}

const IN_A_FILE = {
  in: 'file',
  flag: { location: 'query', example: 'store_anyway=true' },
} as const;

/** Adds bad fields to those kept, up to the number reported. */
export function keepErrors(kept: FieldError[], more: FieldError[]): void {
  kept.push(...more.slice(0, Math.max(0, MAX_REPORTED_ERRORS - kept.length)));
}
