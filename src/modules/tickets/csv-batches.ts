import type { Deps } from '../../deps';
import { AppError, type FieldError } from '../../http/app-error';
import { type ColumnMap, CsvFormatError, columnOf, readCsvTickets } from './csv-tickets';
import { type PreparedBatch, prepareBatch } from './ingest.service';
import type { TicketInput } from './ticket-input';

const IMPORT_BATCH_SIZE = 2_000;
/** Rows read between turns of the event loop (a few milliseconds of parsing). */
const ROWS_PER_TURN = 250;

export type ImportOptions = {
  map: ColumnMap;
  source?: string;
  onError: 'reject' | 'skip';
  /** The file's encoding (UTF-8 unless named). */
  charset?: string;
};

/** Rows of a CSV ready to write, with the bad rows skipped since the batch before. */
export type CsvBatch = {
  prepared: PreparedBatch;
  /** The last CSV line read into this batch: batches end at the same lines on every read. */
  lastLine: number;
  /** Rows that could not be read as tickets at all (counted as received and rejected). */
  unreadable: number;
  /** Bad fields of the rows skipped here, in line order within the batch. */
  errors: FieldError[];
};

/**
 * A CSV's rows, 2,000 good ones at a time, checked but not written. With `reject` the first
 * bad row throws (a 400 naming its line); with `skip` bad rows are counted into the batch
 * that follows them. Malformed CSV is a `malformed_body` error. The event loop gets a turn
 * every few hundred rows: a file already in memory is otherwise parsed without one.
 */
export async function* csvBatches(
  deps: Deps,
  bytes: ReadableStream<Uint8Array>,
  options: ImportOptions,
): AsyncGenerator<CsvBatch> {
  const mode = options.onError === 'skip' ? 'skip' : 'strict';
  let pending: { line: number; ticket: TicketInput }[] = [];
  let unreadable = 0;
  let skipped: FieldError[] = [];
  let lastLine = 0;
  let read = 0;
  const take = (): CsvBatch => {
    const lines = pending.map((row) => row.line);
    const prepared = prepareBatch(
      deps,
      pending.map((row) => row.ticket),
      (index, field) => `line ${lines[index]}.${columnOf(field, options)}`,
      mode,
    );
    const batch = {
      prepared,
      lastLine,
      unreadable,
      errors: [...skipped, ...prepared.errors].sort((a, b) => lineOf(a.path) - lineOf(b.path)),
    };
    pending = [];
    unreadable = 0;
    skipped = [];
    return batch;
  };
  try {
    for await (const row of readCsvTickets(bytes, options)) {
      lastLine = row.line;
      if (++read % ROWS_PER_TURN === 0) await nextTurn();
      if (row.ok) {
        pending.push(row);
        if (pending.length >= IMPORT_BATCH_SIZE) yield take();
      } else if (mode === 'strict') {
        throw new AppError(
          'validation_failed',
          `Line ${row.line} is invalid; nothing was imported.`,
          row.errors,
        );
      } else {
        unreadable++;
        skipped.push(...row.errors);
      }
    }
    if (pending.length > 0 || unreadable > 0) yield take();
  } catch (error) {
    if (error instanceof CsvFormatError) {
      const where = error.line ? `line ${error.line}` : 'body';
      throw new AppError('malformed_body', `Malformed CSV (${where}): ${error.message}`, [
        { location: 'body', path: where, message: error.message },
      ]);
    }
    throw error;
  }
}

/**
 * A turn of the event loop (timers, I/O), which awaiting promises alone never gives;
 * `setImmediate` where there is one, as timers wait at least a millisecond.
 */
const nextTurn = () =>
  new Promise<void>((resolve) =>
    typeof setImmediate === 'function' ? setImmediate(resolve) : setTimeout(resolve, 0),
  );

export const lineOf = (path: string) => Number(/^line (\d+)/.exec(path)?.[1] ?? 0);
