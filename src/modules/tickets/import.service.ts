import type { Deps } from '../../deps';
import { AppError, type FieldError } from '../../http/app-error';
import { csvBatches, type ImportOptions, lineOf } from './csv-batches';
import { settleAfterIngest, writeBatch } from './ingest.service';
import { storedUnderOtherSource, storedUnderOtherSourceProblem } from './other-source';
import { addSummary, emptySummary, type IngestSummary } from './ticket-input';

export type { ImportOptions } from './csv-batches';

export const MAX_REPORTED_ERRORS = 50;

export type ImportResult = IngestSummary & { errors: FieldError[] };

/**
 * Imports a CSV stream in one transaction: with `reject`, a malformed file, a file of no rows
 * or any bad row writes nothing (400 naming the line); with `skip`, bad rows are counted and
 * listed. A file whose first tickets look stored already under another source writes nothing
 * (409), unless `storeAnyway`: as the console asks, only its first batch is looked up.
 * Memory stays flat whatever the file size: rows are written in batches as they arrive.
 */
export async function importCsvTickets(
  deps: Deps,
  bytes: ReadableStream<Uint8Array>,
  options: ImportOptions & { storeAnyway?: boolean },
): Promise<ImportResult> {
  const result: ImportResult = { ...emptySummary(), errors: [] };
  await deps.db.transaction(async (tx) => {
    let first = !options.storeAnyway;
    for await (const batch of csvBatches(deps, bytes, options)) {
      const other = first && (await storedUnderOtherSource(tx, batch.prepared.tickets));
      if (other) throw storedUnderOtherSourceProblem(other, IN_A_FILE);
      first = false;
      keepErrors(result.errors, batch.errors);
      addSummary(result, await writeBatch(tx, deps, batch.prepared));
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
