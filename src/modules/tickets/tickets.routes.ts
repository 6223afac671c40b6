import { z } from '@hono/zod-openapi';
import { AppError } from '../../http/app-error';
import { limitStream } from '../../http/body-limit';
import { createRouter } from '../../http/create-router';
import { defineRoute, json, problemResponse } from '../../http/define-route';
import { type ColumnMap, parseColumnMap } from './csv-tickets';
import { gunzippedCsv } from './gunzip';
import { importCsvTickets } from './import.service';
import { ingestTickets } from './ingest.service';
import { IngestSummarySchema, TicketBatchSchema } from './ticket-input';

const ImportResultSchema = IngestSummarySchema.extend({
  errors: z
    .array(z.object({ location: z.string(), path: z.string(), message: z.string() }))
    .openapi({ description: 'Up to 50 bad fields, with on_error=skip.' }),
}).openapi('ImportResult');

// Tickets are known by source and id: the same tickets under a second source count twice.
const OTHER_SOURCE_BATCH =
  'The tickets of a source nothing is stored under yet are looked up first: when most of ' +
  'them (of the first 2,000 or so) have ids stored under another source, the answer is 409 ' +
  '`stored_under_other_source` naming that source and the share, and nothing is stored. ' +
  'Send them under that source if they are the same tickets, or with `store_anyway: true` ' +
  'if they are other tickets that share ids. Later batches of a source are not looked up, ' +
  'unless the batch says it is the first of a file (`first_of_file`). Batches looked up ' +
  'take turns, so the same tickets sent at once under two new sources are stored once.';
const OTHER_SOURCE_FILE =
  'When most of the first 2,000 rows have ids stored under another source than their own, ' +
  'the answer is 409 `stored_under_other_source` naming that source and the share, and ' +
  'nothing is stored: send the file under that source if they are the same tickets, or ' +
  'with `store_anyway=true` if they are other tickets that share ids.';

const ingestRoute = defineRoute({
  access: { roles: ['ops'] },
  method: 'post',
  path: '/v1/tickets',
  tags: ['Tickets'],
  summary: 'Ingest a batch of up to 5,000 tickets (idempotent on source + external_id)',
  description:
    'All or nothing: one bad ticket rejects the batch with a 400 naming its index and field. ' +
    'Replays are counted as duplicates; changed tickets as updates. Copies of one ticket in ' +
    'a batch are taken in order, as if sent one after another: the last is stored (with the ' +
    'earliest `first_response_at` of any), and each copy counts against the one before it, ' +
    'so a new ticket sent twice with a change is one insert and one update. A batch that ' +
    'leaves a ticket as stored (a replay) counts all its copies as duplicates. ' +
    OTHER_SOURCE_BATCH,
  request: {
    body: { required: true, content: json(TicketBatchSchema) },
  },
  responses: {
    200: {
      description: 'What happened to each ticket',
      content: json(IngestSummarySchema),
    },
    409: problemResponse(
      '`stored_under_other_source`: the tickets looked up (of a new source, or the first ' +
        'of a file) look stored already under another source; nothing was stored.',
    ),
  },
});

const importRoute = defineRoute({
  access: { roles: ['ops'] },
  bodyHandling: 'stream',
  method: 'post',
  path: '/v1/tickets/import',
  tags: ['Tickets'],
  summary: 'Import tickets from a CSV file (optionally gzip), streamed',
  description:
    'Columns named like ticket fields are used as they are; `map` renames others ' +
    '(`created_at=opendate,reason=type`). UTF-8 unless Content-Type names another charset ' +
    '(`text/csv; charset=windows-1252`). Send gzip with `Content-Encoding: gzip` or ' +
    '`Content-Type: application/gzip`; the size limit (`IMPORT_MAX_BYTES`) counts the CSV as ' +
    'it expands, and past it the answer is 413 with nothing stored. A file of no rows (empty, ' +
    'or only its header) is a 400. Idempotent like ' +
    'POST /v1/tickets, so a failed or repeated import can simply be sent again. Rows are ' +
    'taken 2,000 at a time: a repeated file counts differing copies of one ticket in ' +
    'different stretches as updates again, though what it stores is the same. ' +
    OTHER_SOURCE_FILE,
  request: {
    query: z.object({
      source: z.string().trim().min(1).max(100).optional().openapi({
        description: 'The source of every row, when the file has no source column.',
      }),
      map: z.string().max(2000).optional().openapi({ example: 'created_at=opendate' }),
      on_error: z.enum(['reject', 'skip']).default('reject').openapi({
        description: '`reject`: any bad row fails the import. `skip`: bad rows are counted.',
      }),
      store_anyway: z
        .enum(['true', 'false'])
        .default('false')
        .transform((value) => value === 'true')
        .openapi({
          description:
            '`true`: import the file even though most of its first tickets have ids stored ' +
            'under another source (they are other tickets that share ids).',
        }),
    }),
    body: {
      required: true,
      content: {
        'text/csv': { schema: z.string().openapi({ format: 'binary' }) },
        'application/gzip': { schema: z.string().openapi({ format: 'binary' }) },
      },
    },
  },
  responses: {
    200: {
      description: 'What happened to the rows',
      content: json(ImportResultSchema),
    },
    409: problemResponse(
      '`stored_under_other_source`: the file looks imported already under another source; ' +
        'nothing was stored.',
    ),
  },
});

export const ticketRoutes = createRouter()
  .openapi(ingestRoute, async (c) => {
    const { tickets, store_anyway: storeAnyway, first_of_file: firstOfFile } = c.req.valid('json');
    const lookUpOtherSource = storeAnyway
      ? undefined
      : firstOfFile
        ? 'first of file'
        : 'new sources';
    return c.json(await ingestTickets(c.var.deps, tickets, { lookUpOtherSource }), 200);
  })
  .openapi(importRoute, async (c) => {
    const query = c.req.valid('query');
    let map: ColumnMap;
    try {
      map = parseColumnMap(query.map ? [query.map] : []);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new AppError('validation_failed', message, [
        { location: 'query', path: 'map', message },
      ]);
    }
    const body = c.req.raw.body;
    if (!body) throw new AppError('validation_failed', 'Send the CSV file as the request body.');
    const maxBytes = c.var.deps.config.importMaxBytes;
    const limited = limitStream(body, maxBytes);
    const gzipped =
      c.req.header('content-encoding')?.toLowerCase() === 'gzip' ||
      /gzip/i.test(c.req.header('content-type') ?? '');
    const bytes = gzipped ? gunzippedCsv(limited, maxBytes) : limited;
    const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(c.req.header('content-type') ?? '')?.[1];
    const result = await importCsvTickets(c.var.deps, bytes, {
      map,
      source: query.source,
      onError: query.on_error,
      charset,
      storeAnyway: query.store_anyway,
    });
    return c.json(result, 200);
  });
