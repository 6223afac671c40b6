import { Readable } from 'node:stream';
import { CsvError, parse } from 'csv-parse';
import { AppError, type FieldError, fieldErrors } from '../../http/app-error';
import { unsafeTextProblem } from '../../http/safe-text';
import { type TicketInput, TicketInputSchema } from './ticket-input';

/** Ticket fields a CSV column can fill. */
export const TICKET_FIELDS = [
  'source',
  'external_id',
  'account_id',
  'reason',
  'sub_reason',
  'channel',
  'created_at',
  'resolved_at',
  'first_response_at',
  'csat',
] as const;
export type TicketField = (typeof TICKET_FIELDS)[number];

export type ColumnMap = Partial<Record<TicketField, string>>;

/** The ticket field a name stands for, if it is one. */
export const ticketField = (name: string): TicketField | undefined =>
  TICKET_FIELDS.find((field) => field === name);

// A real ticket row is a few hundred bytes; a multi-megabyte "line" is a broken file.
export const MAX_CSV_RECORD_BYTES = 1024 * 1024;

export class CsvFormatError extends Error {
  constructor(
    message: string,
    readonly line: number | undefined,
  ) {
    super(message);
    this.name = 'CsvFormatError';
  }
}

/** Reads `created_at=opendate,reason=type` (or repeated `--map` pairs) into a column map. */
export function parseColumnMap(pairs: string[]): ColumnMap {
  const map: ColumnMap = {};
  for (const pair of pairs.flatMap((p) => p.split(',')).filter(Boolean)) {
    const [name = '', column] = pair.split(/[=:]/, 2).map((part) => part.trim());
    const field = ticketField(name);
    if (!field || !column) {
      const fields = TICKET_FIELDS.join(', ');
      throw new Error(
        `Bad column mapping "${pair}": use field=column with a field among ${fields}.`,
      );
    }
    map[field] = column;
  }
  return map;
}

export type CsvTicketRow =
  | { line: number; ok: true; ticket: TicketInput }
  | { line: number; ok: false; errors: FieldError[] };

/** Where a CSV's encoding is named; an error on it means the bytes are not in that encoding. */
export const CHARSET_FIELD = 'Content-Type';

/**
 * The CSV's bytes as UTF-8: checked as they pass when the file is UTF-8 (the default), so
 * no byte is silently replaced, and converted when `charset` names another encoding.
 */
async function* utf8Chunks(
  bytes: AsyncIterable<Uint8Array>,
  charset = 'utf-8',
): AsyncGenerator<Uint8Array> {
  let decoder: InstanceType<typeof TextDecoder>;
  try {
    decoder = new TextDecoder(charset, { fatal: true });
  } catch {
    throw new AppError(
      'unsupported_media_type',
      `The CSV's charset "${charset}" is not one forestall reads; send UTF-8 or name another ` +
        'encoding such as windows-1252 or iso-8859-1.',
    );
  }
  const utf8 = decoder.encoding === 'utf-8';
  const encoder = new TextEncoder();
  try {
    for await (const chunk of bytes) {
      const decoded = decoder.decode(chunk, { stream: true });
      yield utf8 ? chunk : encoder.encode(decoded);
    }
    const rest = decoder.decode();
    if (!utf8 && rest) yield encoder.encode(rest);
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
    const message = `The CSV is not valid ${decoder.encoding}`;
    throw new AppError(
      'validation_failed',
      `${message}: name its encoding in Content-Type (e.g. text/csv; charset=windows-1252).`,
      [{ location: 'header', path: CHARSET_FIELD, message }],
    );
  }
}

/**
 * Streams tickets out of CSV bytes (any size: one record at a time). Columns named like a
 * ticket field fill it unless `map` says otherwise; `source` may come from the options.
 * Malformed CSV throws CsvFormatError with the line; a bad row is yielded with its errors.
 */
export async function* readCsvTickets(
  bytes: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>,
  options: { map: ColumnMap; source?: string; charset?: string },
): AsyncGenerator<CsvTicketRow> {
  const text = utf8Chunks(bytes as AsyncIterable<Uint8Array>, options.charset);
  const parser = parse({
    bom: true,
    // Checked as the header is read: a file with a header and no rows is still refused.
    columns: (header: string[]) => {
      const columns = header.map((name) => name.trim());
      checkMapping(columns, options);
      return columns;
    },
    skip_empty_lines: true,
    max_record_size: MAX_CSV_RECORD_BYTES,
    info: true,
  });
  const source = Readable.from(text);
  // A body that cannot be read (bad gzip, a client that went away) is bad input; a limit
  // breach keeps its own error.
  source.on('error', (error) =>
    parser.destroy(
      error instanceof AppError
        ? error
        : new CsvFormatError(`Could not read the CSV: ${error.message}`, undefined),
    ),
  );
  source.pipe(parser);
  try {
    for await (const { record, info } of parser as AsyncIterable<{
      record: Record<string, string>;
      info: { lines: number };
    }>) {
      yield toRow(record, info.lines, options);
    }
  } catch (error) {
    if (error instanceof CsvFormatError || error instanceof AppError) throw error;
    // Not every CsvError code starts with CSV_ (INVALID_OPENING_QUOTE does not).
    if (error instanceof CsvError) {
      const lines = 'lines' in error && typeof error.lines === 'number' ? error.lines : undefined;
      throw new CsvFormatError(error.message, lines);
    }
    throw error;
  }
}

function columnFor(field: TicketField, options: { map: ColumnMap }): string {
  return options.map[field] ?? field;
}

/** The column of a field named by a parse error or a cell: its own name unless it is mapped. */
export function columnOf(name: string, options: { map: ColumnMap }): string {
  const field = ticketField(name);
  return field ? columnFor(field, options) : name;
}

function checkMapping(columns: string[], options: { map: ColumnMap; source?: string }): void {
  // A source given for the whole file needs no column.
  const required: TicketField[] = REQUIRED_CELLS.filter(
    (field) => field !== 'source' || !options.source,
  );
  const missing = required.filter((field) => !columns.includes(columnFor(field, options)));
  for (const field of Object.keys(options.map).flatMap((name) => ticketField(name) ?? [])) {
    const column = columnFor(field, options);
    if (!columns.includes(column) && !missing.includes(field)) missing.push(field);
  }
  if (missing.length > 0) {
    throw new CsvFormatError(
      `The header has no column for ${missing
        .map((field) => `${field} (looked for "${columnFor(field, options)}")`)
        .join(', ')}; map one with field=column.${otherDelimiterHint(columns)}`,
      1,
    );
  }
  // The reader keeps the last of two same-named cells: which one a field got would be a guess.
  const read = new Set(TICKET_FIELDS.map((field) => columnFor(field, options)));
  const twice = columns.find((name, i) => read.has(name) && columns.indexOf(name) !== i);
  if (twice !== undefined) {
    throw new CsvFormatError(
      `The header names the column "${twice}" twice; rename one, or map the field to another.`,
      1,
    );
  }
}

/** Exports from spreadsheets in many locales separate cells with semicolons (or tabs). */
function otherDelimiterHint(columns: string[]): string {
  const [only] = columns;
  if (columns.length !== 1 || only === undefined) return '';
  const delimiter = only.includes(';') ? 'semicolons' : only.includes('\t') ? 'tabs' : undefined;
  return delimiter
    ? ` The header is one column, "${only}": the file seems separated by ${delimiter}; ` +
        'save it separated by commas.'
    : '';
}

function toRow(
  record: Record<string, string>,
  line: number,
  options: { map: ColumnMap; source?: string },
): CsvTicketRow {
  const value = (field: TicketField) => {
    const raw = record[columnFor(field, options)];
    return raw === undefined || raw.trim() === '' ? undefined : raw;
  };
  const csat = value('csat');
  const candidate = {
    source: value('source') ?? options.source,
    external_id: value('external_id'),
    account_id: value('account_id'),
    reason: value('reason'),
    sub_reason: value('sub_reason'),
    channel: value('channel'),
    created_at: value('created_at'),
    resolved_at: value('resolved_at'),
    first_response_at: value('first_response_at'),
    csat: csat === undefined ? undefined : Number(csat),
  };
  // Cells are checked like JSON bodies are by the HTTP layer: text Postgres can store.
  const unsafe = Object.entries(candidate).flatMap(([name, cell]) => {
    const message = typeof cell === 'string' ? unsafeTextProblem(cell) : undefined;
    return message
      ? [{ location: 'body', path: `line ${line}.${columnOf(name, options)}`, message }]
      : [];
  });
  if (unsafe.length > 0) return { line, ok: false, errors: unsafe };
  const parsed = TicketInputSchema.safeParse(candidate);
  if (parsed.success) return { line, ok: true, ticket: parsed.data };
  // An empty cell the row needs says so, rather than what the schema received (undefined).
  const empty: TicketField[] = REQUIRED_CELLS.filter((field) => candidate[field] === undefined);
  const issues = parsed.error.issues.filter(
    (issue) => !empty.includes(String(issue.path[0]) as TicketField),
  );
  return {
    line,
    ok: false,
    errors: [
      ...empty.map((field) => ({
        location: 'body',
        path: `line ${line}.${columnFor(field, options)}`,
        message: 'is empty; every row needs one',
      })),
      ...fieldErrors(
        issues,
        'body',
        (path) => `line ${line}.${columnOf(String(path[0]), options)}`,
      ),
    ],
  };
}

const REQUIRED_CELLS = [
  'source',
  'external_id',
  'reason',
  'created_at',
] as const satisfies TicketField[];
