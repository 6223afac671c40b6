import type { FieldError } from '../../http/app-error';
import type { CsvBatch } from './csv-batches';
import type { NormalizedTicket } from './normalize-tickets';

/**
 * Heap this process lets checked batches hold for their runs, all uploads together (as
 * `batchHeapBytes` estimates it, at or above what they hold): two uploads of 60,000 rows of
 * the shared data set (18.5 MB each). An upload whose batches do not fit is read again from
 * its stored file by its run, which holds one batch at a time.
 */
export const KEPT_BYTES_MAX = 64 * 1024 * 1024;

let keptBytes = 0;

/** What checked batches hold now, all runs together (estimated as `batchHeapBytes`). */
export const keptBatchBytes = () => keptBytes;

/**
 * Batches a check read, held for the upload's run under the process-wide budget. `take`
 * hands them over one at a time, each forgotten (and its bytes given back) once the next is
 * asked for; `drop` gives back the rest. Every holder ends with `drop`, whatever happened.
 */
export class KeptBatches {
  private readonly batches: { batch: CsvBatch; bytes: number }[] = [];
  private held = 0;

  /** Keeps `batch` if the budget has room for it; false (keeping nothing more) if not. */
  keep(batch: CsvBatch): boolean {
    const bytes = batchHeapBytes(batch);
    if (keptBytes + bytes > KEPT_BYTES_MAX) return false;
    keptBytes += bytes;
    this.held += bytes;
    this.batches.push({ batch, bytes });
    return true;
  }

  get length(): number {
    return this.batches.length;
  }

  /** The estimated heap of the batches still held. */
  get bytes(): number {
    return this.held;
  }

  async *take(): AsyncGenerator<CsvBatch> {
    for (let next = this.batches.shift(); next; next = this.batches.shift()) {
      try {
        yield next.batch;
      } finally {
        this.giveBack(next.bytes);
      }
    }
  }

  drop(): void {
    this.batches.length = 0;
    this.giveBack(this.held);
  }

  private giveBack(bytes: number): void {
    keptBytes -= bytes;
    this.held -= bytes;
  }
}

// V8 keeps text of Latin-1 characters at a byte each, and any other text at two. Measured as
// heapUsed after gc before and after a check: 20,000 rows of distinct fields at their
// maximum lengths held 26.1 MB in ASCII (estimated 30.4) and 49.0 MB beyond Latin-1 (49.4);
// 60,000 rows of the shared data set 18.5 MB (28.1).
const TICKET_BYTES = 240;
const TEXT_BYTES = 16;
const ERROR_BYTES = 64;
const BEYOND_LATIN1 = /[\u0100-\uffff]/;

const textBytes = (text: string | null) =>
  text === null ? 0 : TEXT_BYTES + text.length * (BEYOND_LATIN1.test(text) ? 2 : 1);

function ticketBytes(ticket: NormalizedTicket): number {
  return (
    TICKET_BYTES +
    textBytes(ticket.source) +
    textBytes(ticket.externalId) +
    textBytes(ticket.accountId) +
    textBytes(ticket.rawReasonKey) +
    textBytes(ticket.reasonLabel) +
    textBytes(ticket.subReason) +
    textBytes(ticket.channel) +
    textBytes(ticket.createdAt) +
    textBytes(ticket.resolvedAt) +
    textBytes(ticket.firstResponseAt)
  );
}

const errorBytes = (error: FieldError) =>
  ERROR_BYTES + textBytes(error.path) + textBytes(error.message);

/** The heap a checked batch holds, estimated from its text: an upper bound, not a measure. */
export function batchHeapBytes(batch: CsvBatch): number {
  let bytes = 0;
  for (const ticket of batch.prepared.tickets) bytes += ticketBytes(ticket);
  for (const copies of batch.prepared.copies.values()) {
    for (const ticket of copies) bytes += ticketBytes(ticket);
  }
  for (const error of batch.errors) bytes += errorBytes(error);
  return bytes;
}
