import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { Transform } from 'node:stream';
import { parseArgs } from 'node:util';
import { createGunzip } from 'node:zlib';
import { SingleBar } from 'cli-progress';
import { ConfigError, loadCliConfig } from '../config';
import { type CsvTicketRow, parseColumnMap, readCsvTickets } from '../modules/tickets/csv-tickets';
import {
  addSummary,
  emptySummary,
  type IngestSummary,
  type TicketInput,
} from '../modules/tickets/ticket-input';
import {
  type Checkpoint,
  checkpointPath,
  readCheckpoint,
  writeCheckpoint,
} from './import-checkpoint';
import { postTicketBatch, StoredUnderOtherSourceError } from './ticket-api-client';

const USAGE = `Usage: npm run import -- FILE.csv[.gz] [--map field=column ...] [--source NAME]
                          [--batch-size N] [--restart] [--progress-seconds S]
                          [--store-anyway]

Sends a CSV ticket export to a running forestall (FORESTALL_URL, default
http://localhost:3000) with an API key of role ops or admin (FORESTALL_API_KEY).
Columns named like ticket fields (source, external_id, account_id, reason, sub_reason,
channel, created_at, resolved_at, first_response_at, csat) are used as they are; --map
renames others. An interrupted import resumes where it stopped when run again (per file and
server). On a terminal it shows a progress bar; elsewhere a progress line every S seconds (5).
A file whose first tickets mostly have ids stored under another source than the one they are
sent under is refused (the same tickets would count twice): --store-anyway imports it as other
tickets.`;

const MAX_LISTED_REJECTIONS = 20;

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      map: { type: 'string', multiple: true, default: [] },
      source: { type: 'string' },
      'batch-size': { type: 'string', default: '5000' },
      'checkpoint-dir': { type: 'string', default: './data/imports' },
      restart: { type: 'boolean', default: false },
      'store-anyway': { type: 'boolean', default: false },
      'progress-seconds': { type: 'string', default: '5' },
      help: { type: 'boolean', default: false },
    },
  });
  const file = positionals[0];
  if (values.help || !file) {
    console.error(USAGE);
    return values.help ? 0 : 2;
  }
  const config = loadCliConfig();
  if (!config.apiKey)
    throw new ConfigError([{ variable: 'FORESTALL_API_KEY', message: 'is required' }]);
  const map = parseColumnMap(values.map);
  const batchSize = Math.min(5_000, Math.max(1, Number(values['batch-size']) || 5_000));
  const source = values.source ?? undefined;
  const storeAnyway = values['store-anyway'];

  // The same file sent to another server is another import.
  const checkpointFile = await checkpointPath(values['checkpoint-dir'], file, {
    map,
    source,
    target: config.url,
  });
  const previous = values.restart ? undefined : await readCheckpoint(checkpointFile);
  if (previous?.completed) {
    console.log(
      `${file} was already imported to ${config.url} (${describe(previous.summary)}); ` +
        '--restart to send it again.',
    );
    return 0;
  }
  const resumeAfter = previous?.linesDone ?? 0;
  if (resumeAfter > 0) console.log(`Resuming ${file} after line ${resumeAfter}.`);

  const checkpoint: Checkpoint = previous ?? {
    file,
    linesDone: 0,
    completed: false,
    summary: emptySummary(),
  };
  const rejections: string[] = [];
  const started = performance.now();
  let sentRows = 0;
  const progress = createProgress(
    (await stat(file)).size,
    Math.max(0, Number(values['progress-seconds']) || 0) * 1000,
    () => ({ rows: sentRows, rowsPerSecond: sentRows / ((performance.now() - started) / 1000) }),
  );

  let batch: Extract<CsvTicketRow, { ok: true }>[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const tickets: TicketInput[] = batch.map((row) => row.ticket);
    const api = { url: config.url, apiKey: config.apiKey ?? '', storeAnyway };
    // The server looks up a file's first batch, as its own import does, whatever the source.
    const firstOfFile = checkpoint.linesDone === 0;
    const result = await postTicketBatch(api, tickets, { firstOfFile }).catch((error: unknown) => {
      throw error instanceof StoredUnderOtherSourceError
        ? storedUnderOtherSource(file, error, checkpoint.linesDone)
        : error;
    });
    addSummary(checkpoint.summary, result.summary);
    checkpoint.summary.received += result.rejected.length;
    checkpoint.summary.rejected += result.rejected.length;
    for (const { index, errors } of result.rejected) {
      const line = batch[index]?.line;
      rejections.push(
        ...errors.map((e) => `line ${line}: ${e.path.replace(/^tickets\.\d+\./, '')} ${e.message}`),
      );
    }
    sentRows += batch.length;
    checkpoint.linesDone = batch.at(-1)?.line ?? checkpoint.linesDone;
    await writeCheckpoint(checkpointFile, checkpoint);
    batch = [];
    progress.rowsSent();
  };

  for await (const row of readCsvTickets(await fileBytes(file, progress.advance), {
    map,
    source,
  })) {
    if (row.line <= resumeAfter) continue;
    if (row.ok) {
      batch.push(row);
      if (batch.length >= batchSize) await flush();
    } else {
      checkpoint.summary.received++;
      checkpoint.summary.rejected++;
      rejections.push(...row.errors.map((e) => `${e.path.replace('.', ': ')} ${e.message}`));
    }
  }
  await flush();
  checkpoint.completed = true;
  await writeCheckpoint(checkpointFile, checkpoint);
  progress.stop();

  const seconds = (performance.now() - started) / 1000;
  console.log(`Imported ${file}: ${describe(checkpoint.summary)}.`);
  const rate = Math.round(sentRows / Math.max(seconds, 0.001));
  console.log(`${sentRows} rows sent in ${seconds.toFixed(1)} s (${rate} rows/s).`);
  if (rejections.length > 0) {
    console.log(`Rejected rows (first ${Math.min(rejections.length, MAX_LISTED_REJECTIONS)}):`);
    for (const line of rejections.slice(0, MAX_LISTED_REJECTIONS)) console.log(`  ${line}`);
  }
  return 0;
}

/** The server's refusal, and what to run instead. */
function storedUnderOtherSource(file: string, refusal: Error, linesDone: number): Error {
  const done = linesDone > 0 ? `Lines up to ${linesDone} are imported; the rest is not. ` : '';
  return new Error(
    `${file} was refused: ${refusal.message}\n${done}If they are the same tickets, import ` +
      'the file under that source (--source NAME); if they are other tickets that share ids, ' +
      'run the command again with --store-anyway.',
  );
}

/** The file's bytes, gunzipped when it starts with the gzip magic number. */
async function fileBytes(file: string, onBytes: (count: number) => void) {
  const handle = await open(file);
  const magic = Buffer.alloc(2);
  await handle.read(magic, 0, 2, 0);
  await handle.close();
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      onBytes(chunk.length);
      callback(null, chunk);
    },
  });
  const raw = createReadStream(file).pipe(counter);
  return magic[0] === 0x1f && magic[1] === 0x8b ? raw.pipe(createGunzip()) : raw;
}

type Throughput = () => { rows: number; rowsPerSecond: number };

/**
 * On a terminal, a bar of the file read with the rows sent and their rate; elsewhere (a log,
 * a CI job) a line at most every `everyMs`, so a long import never looks stuck.
 */
function createProgress(totalBytes: number, everyMs: number, throughput: Throughput) {
  let seen = 0;
  const percent = () => Math.min(100, Math.round((seen / Math.max(totalBytes, 1)) * 100));
  if (!process.stderr.isTTY) {
    let lastLine = performance.now();
    return {
      advance: (count: number) => {
        seen += count;
      },
      rowsSent: () => {
        if (performance.now() - lastLine < everyMs) return;
        lastLine = performance.now();
        const { rows, rowsPerSecond } = throughput();
        console.log(
          `${rows.toLocaleString('en')} rows sent, ${percent()}% of the file read ` +
            `(${Math.round(rowsPerSecond).toLocaleString('en')} rows/s)`,
        );
      },
      stop: () => {},
    };
  }
  const bar = new SingleBar({
    format: 'importing [{bar}] {percentage}% | {rows} rows | {rate} rows/s | eta {eta}s',
    stream: process.stderr,
    hideCursor: true,
  });
  const payload = () => {
    const { rows, rowsPerSecond } = throughput();
    return { rows: rows.toLocaleString('en'), rate: Math.round(rowsPerSecond) };
  };
  bar.start(totalBytes, 0, payload());
  return {
    advance: (count: number) => {
      seen += count;
      bar.update(seen);
    },
    rowsSent: () => bar.update(seen, payload()),
    stop: () => bar.stop(),
  };
}

const describe = (s: IngestSummary) =>
  `${s.received} rows: ${s.inserted} inserted, ${s.updated} updated, ` +
  `${s.duplicates} duplicates, ${s.rejected} rejected` +
  (s.repeated > 0
    ? ` (${s.repeated} of the updated and duplicates repeated a ticket earlier in their ` +
      'batch; the last copy is stored)'
    : '');

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
