import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import { loadConfig } from '../../src/config';
import { rowsOf } from '../../src/db/json-param';
import { openPostgres } from '../../src/db/postgres';
import { buildDeps } from '../../src/deps';
import { createLogger } from '../../src/logger';
import { weeklySeries } from '../../src/modules/reasons/weekly-series.service';
import { findSpikes } from '../../src/modules/spikes/spikes.service';
import { importCsvTickets } from '../../src/modules/tickets/import.service';
import { settleRecontacts } from '../../src/modules/tickets/recontact-work';
import { NYC_COMPLAINTS } from '../helpers/shared-data';
import { withDatabase } from '../helpers/template-databases';
import { BENCH_ADMIN_URL, freshBenchDatabase } from './bench-database';

/**
 * npm run bench:detect-cost — spike detection over the whole shared data set (every reason,
 * every week), and the weekly series the API serves, against a bare `GROUP BY reason, week`
 * over the same tickets table, in the same run.
 * The data set is loaded once into `forestall_bench_nyc` and reused by later runs.
 */

const DATABASE = 'forestall_bench_nyc';
const RUNS = 5;

async function loadedDatabase() {
  const url = withDatabase(BENCH_ADMIN_URL, DATABASE);
  const admin = postgres(BENCH_ADMIN_URL, { max: 1, onnotice: () => {} });
  const [exists] = await admin`select 1 from pg_database where datname = ${DATABASE}`;
  await admin.end();
  if (exists) {
    const database = openPostgres(url, { poolMax: 4 });
    const [row] = rowsOf<{ n: number }>(
      await database.db.execute(sql`select count(*)::int as n from tickets`),
    );
    if ((row?.n ?? 0) > 300_000) return database;
    await database.close();
  }
  const database = await freshBenchDatabase(DATABASE);
  const deps = buildDeps(loadConfig({ DATABASE_URL: url }), database.db, {
    logger: createLogger('warn'),
    clock: { now: () => new Date('2025-02-01T00:00:00Z') },
  });
  console.log('Loading the shared data set once (kept for later runs)…');
  const gunzipped = Readable.toWeb(createReadStream(NYC_COMPLAINTS)).pipeThrough(
    new DecompressionStream('gzip'),
  );
  const result = await importCsvTickets(deps, gunzipped as ReadableStream<Uint8Array>, {
    map: {},
    source: 'nyc-council',
    onError: 'reject',
  });
  console.log(`Loaded ${result.inserted} tickets.`);
  return database;
}

async function median(run: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    await run();
    times.push(performance.now() - started);
  }
  return times.sort((a, b) => a - b)[Math.floor(RUNS / 2)] ?? 0;
}

const database = await loadedDatabase();
// The import's re-contact flags settle after it; measuring meanwhile would time that too.
await settleRecontacts(database.db);
const deps = buildDeps(loadConfig({ DATABASE_URL: 'postgres://bench' }), database.db, {
  logger: createLogger('warn'),
  clock: { now: () => new Date('2025-02-01T00:00:00Z') },
});
const [span] = rowsOf<{ first: string; last: string; reasons: number }>(
  await database.db.execute(sql`
    select min(week)::text as first, max(week)::text as last, count(distinct reason_slug)::int as reasons
    from reason_weeks`),
);
const from = span?.first ?? '2015-01-05';
const to = span?.last ?? '2025-01-06';

const groupBy = await median(() =>
  database.db.execute(sql`
    select reason_slug, date_trunc('week', created_at at time zone 'UTC') as week, count(*)
    from tickets group by 1, 2`),
);
let spikes = 0;
const detection = await median(async () => {
  spikes = (await findSpikes(deps, { from, to })).spikes.length;
});

const weekly = await median(() => weeklySeries(deps, { from, to, top: 10 }));

console.log(`${span?.reasons} reasons, weeks ${from} … ${to}, median of ${RUNS} runs`);
console.log(`bare GROUP BY reason, week over tickets: ${groupBy.toFixed(0)} ms`);
console.log(
  `spike detection over every reason and week: ${detection.toFixed(0)} ms (${spikes} spikes)`,
);
const ratio = detection / groupBy;
console.log(
  `cost ratio (detection / GROUP BY): ${ratio.toFixed(2)}  ${ratio <= 3 ? 'met' : 'NOT MET'} (target <= 3)`,
);
console.log(
  `GET /v1/reasons/weekly, top 10 over the whole range: ${weekly.toFixed(0)} ms (ratio to GROUP BY ${(weekly / groupBy).toFixed(2)})`,
);
await database.close();
