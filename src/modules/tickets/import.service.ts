import type { Deps } from '../../deps';
import { AppError, type FieldError } from '../../http/app-error';
import { csvBatches, type ImportOptions, lineOf } from './csv-batches';
import { settleAfterIngest, writeBatch } from './ingest.service';
import { addSummary, emptySummary, type IngestSummary } from './ticket-input';

export type { ImportOptions } from './csv-batches';

export const MAX_REPORTED_ERRORS = 50;

export type ImportResult = IngestSummary & { errors: FieldError[] };

/**
 * Imports a CSV stream in one transaction: with `reject`, a malformed file, a file of no rows
 * or any bad row writes nothing (400 naming the line); with `skip`, bad rows are counted and
 * listed.
 * Memory stays flat whatever the file size: rows are written in batches as they arrive.
 */
export async function importCsvTickets(
  deps: Deps,
  bytes: ReadableStream<Uint8Array>,
  options: ImportOptions,
): Promise<ImportResult> {
  const result: ImportResult = { ...emptySummary(), errors: [] };
  await deps.db.transaction(async (tx) => {
    for await (const batch of csvBatches(deps, bytes, options)) {
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

/** Adds bad fields to those kept, up to the number reported. */
export function keepErrors(kept: FieldError[], more: FieldError[]): void {
  kept.push(...more.slice(0, Math.max(0, MAX_REPORTED_ERRORS - kept.length)));
}
