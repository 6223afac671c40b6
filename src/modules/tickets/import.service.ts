import type { Deps } from '../../deps';
import { AppError, type FieldError } from '../../http/app-error';
import { type ColumnMap, CsvFormatError, columnOf, readCsvTickets } from './csv-tickets';
import { prepareBatch, settleAfterIngest, writeBatch } from './ingest.service';
import { addSummary, emptySummary, type IngestSummary, type TicketInput } from './ticket-input';

const IMPORT_BATCH_SIZE = 2_000;
const MAX_REPORTED_ERRORS = 50;

export type ImportOptions = {
  map: ColumnMap;
  source?: string;
  onError: 'reject' | 'skip';
  /** The file's encoding (UTF-8 unless named). */
  charset?: string;
};
export type ImportResult = IngestSummary & { errors: FieldError[] };

/**
 * Imports a CSV stream in one transaction: with `reject`, a malformed file or any bad row
 * writes nothing (400 naming the line); with `skip`, bad rows are counted and listed.
 * Memory stays flat whatever the file size: rows are written in batches as they arrive.
 */
export async function importCsvTickets(
  deps: Deps,
  bytes: ReadableStream<Uint8Array>,
  options: ImportOptions,
): Promise<ImportResult> {
  const mode = options.onError === 'skip' ? 'skip' : 'strict';
  const result: ImportResult = { ...emptySummary(), errors: [] };
  const report = (errors: FieldError[]) => {
    result.errors.push(...errors.slice(0, MAX_REPORTED_ERRORS - result.errors.length));
  };
  try {
    await deps.db.transaction(async (tx) => {
      let pending: { line: number; ticket: TicketInput }[] = [];
      const flush = async () => {
        if (pending.length === 0) return;
        const lines = pending.map((row) => row.line);
        const batch = prepareBatch(
          deps,
          pending.map((row) => row.ticket),
          (index, field) => `line ${lines[index]}.${columnOf(field, options)}`,
          mode,
        );
        report(batch.errors);
        const summary = await writeBatch(tx, deps, batch);
        addSummary(result, summary);
        pending = [];
      };
      for await (const row of readCsvTickets(bytes, options)) {
        if (row.ok) {
          pending.push(row);
          if (pending.length >= IMPORT_BATCH_SIZE) await flush();
        } else if (mode === 'strict') {
          throw new AppError(
            'validation_failed',
            `Line ${row.line} is invalid; nothing was imported.`,
            row.errors,
          );
        } else {
          result.received++;
          result.rejected++;
          report(row.errors);
        }
      }
      await flush();
    });
    settleAfterIngest(deps);
    // Rows are checked as read, reasons as each batch is written: reported in line order.
    result.errors.sort((a, b) => lineOf(a.path) - lineOf(b.path));
  } catch (error) {
    if (error instanceof CsvFormatError) {
      const where = error.line ? `line ${error.line}` : 'body';
      throw new AppError('malformed_body', `Malformed CSV (${where}): ${error.message}`, [
        { location: 'body', path: where, message: error.message },
      ]);
    }
    throw error;
  }
  return result;
}

const lineOf = (path: string) => Number(/^line (\d+)/.exec(path)?.[1] ?? 0);
