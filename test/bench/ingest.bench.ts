import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import uniform from '@stdlib/random-base-uniform';
import postgres from 'postgres';
import { buildDeps } from '../../src/composition-root';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/logger';
import { createApiKey } from '../../src/modules/auth/api-keys.service';
import { reasonKey } from '../../src/modules/reasons/reason-key';
import { NYC_COMPLAINTS } from '../helpers/shared-data';
import { startAppServer } from './app-server';
import { dropBenchDatabase, freshBenchDatabase } from './bench-database';

/**
 * npm run bench:ingest — 200,000 tickets through POST /v1/tickets (HTTP to the app in its own
 * process, batches of 5,000,
 * with validation, idempotency, the weekly rollup and re-contact flags) against a bare
 * multi-row INSERT of the same rows into the same table, in the same run; then the shared
 * data set through `npm run import` (BENCH_SKIP_IMPORT=1 skips it; BENCH_TICKETS and
 * BENCH_ROUNDS resize the run; BENCH_SEED draws other tickets).
 */

const TICKETS = Number(process.env.BENCH_TICKETS ?? 200_000);
const BATCH = 5_000;
// BENCH_SEED draws other tickets (times, accounts, reasons); the figures are throughput.
const SEED = Number(process.env.BENCH_SEED ?? 42);
const REASONS = Array.from({ length: 60 }, (_, i) => `Reason ${i + 1}`);

function generateTickets() {
  const random = uniform.factory(0, 1, { seed: SEED });
  const start = Date.UTC(2024, 0, 1);
  return Array.from({ length: TICKETS }, (_, i) => {
    const created = start + Math.floor(random() * 700 * 86_400_000);
    return {
      source: 'bench',
      external_id: `T${i}`,
      account_id: `acct-${Math.floor(random() * 20_000)}`,
      reason: REASONS[Math.floor(random() ** 2 * REASONS.length)] ?? 'Reason 1',
      channel: random() < 0.5 ? 'email' : 'chat',
      created_at: new Date(created).toISOString(),
      resolved_at: new Date(created + 3_600_000).toISOString(),
    };
  });
}

async function bareInsert(tickets: ReturnType<typeof generateTickets>): Promise<number> {
  const database = await freshBenchDatabase('forestall_bench_bare');
  const sql = postgres(database.url, { max: 1, onnotice: () => {} });
  await sql`insert into reasons ${sql(REASONS.map((label) => ({ slug: reasonKey(label), label })))}`;
  const started = performance.now();
  for (let i = 0; i < tickets.length; i += BATCH) {
    const rows = tickets.slice(i, i + BATCH).map((t) => ({
      source: t.source,
      external_id: t.external_id,
      account_id: t.account_id,
      raw_reason_key: reasonKey(t.reason),
      reason_slug: reasonKey(t.reason),
      channel: t.channel,
      created_at: t.created_at,
      resolved_at: t.resolved_at,
    }));
    await sql`insert into tickets ${sql(rows)}`;
  }
  const seconds = (performance.now() - started) / 1000;
  await sql.end();
  await database.close();
  await dropBenchDatabase('forestall_bench_bare');
  return seconds;
}

async function startServer(name: string) {
  const database = await freshBenchDatabase(name);
  const config = loadConfig({ DATABASE_URL: database.url, LOG_LEVEL: 'warn' });
  const deps = buildDeps(config, database.db, { logger: createLogger('warn') });
  const { key } = await createApiKey(deps, { name: 'bench', role: 'ops', createdBy: null });
  await database.close();
  const server = await startAppServer('forestall', database.url);
  return {
    url: server.base,
    key,
    cpuMillis: server.cpuMillis,
    mainThreadCpuMillis: server.mainThreadCpuMillis,
    /** Waits until the re-contact flags of everything ingested are settled. */
    async settled() {
      const sql = postgres(database.url, { max: 1, onnotice: () => {} });
      while ((await sql`select count(*)::int as n from recontact_work`)[0]?.n) {
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      await sql.end();
    },
    async stop() {
      await server.stop();
      await dropBenchDatabase(name);
    },
  };
}

/**
 * Sends the batches in order from `clients` concurrent clients (one: the target's measure).
 * Bodies are serialised before the clock starts: the client's JSON is not the service's work.
 */
async function throughApi(
  tickets: ReturnType<typeof generateTickets>,
  clients = 1,
): Promise<{ seconds: number; cpuPerBatch: { all: number; main: number } }> {
  const server = await startServer('forestall_bench_api');
  const bodies = Array.from({ length: Math.ceil(tickets.length / BATCH) }, (_, i) =>
    JSON.stringify({ tickets: tickets.slice(i * BATCH, (i + 1) * BATCH) }),
  );
  const started = performance.now();
  const cpuBefore = { all: server.cpuMillis(), main: server.mainThreadCpuMillis() };
  const client = async () => {
    for (let body = bodies.shift(); body; body = bodies.shift()) {
      const response = await fetch(`${server.url}/v1/tickets`, {
        method: 'POST',
        headers: { authorization: `Bearer ${server.key}`, 'content-type': 'application/json' },
        body,
      });
      if (!response.ok)
        throw new Error(`ingest answered ${response.status}: ${await response.text()}`);
      await response.arrayBuffer();
    }
  };
  await Promise.all(Array.from({ length: clients }, client));
  // The ingest is done when its re-contact flags are, which settle just after each response.
  await server.settled();
  const seconds = (performance.now() - started) / 1000;
  const batches = Math.ceil(tickets.length / BATCH);
  // CPU time moves less with the machine's load than wall time does.
  const cpuPerBatch = {
    all: (server.cpuMillis() - cpuBefore.all) / batches,
    main: (server.mainThreadCpuMillis() - cpuBefore.main) / batches,
  };
  await server.stop();
  return { seconds, cpuPerBatch };
}

async function importSharedData(): Promise<string> {
  const server = await startServer('forestall_bench_import');
  const checkpoints = await mkdtemp(join(tmpdir(), 'forestall-bench-'));
  const output = await new Promise<string>((resolve, reject) => {
    const child = spawn(
      'node_modules/.bin/tsx',
      [
        'src/cli/import-tickets.ts',
        NYC_COMPLAINTS,
        '--source',
        'nyc-council',
        '--checkpoint-dir',
        checkpoints,
      ],
      { env: { ...process.env, FORESTALL_URL: server.url, FORESTALL_API_KEY: server.key } },
    );
    let text = '';
    child.stdout.on('data', (chunk) => {
      text += chunk;
    });
    child.stderr.on('data', (chunk) => {
      text += chunk;
    });
    child.on('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(text))));
  });
  await rm(checkpoints, { recursive: true, force: true });
  await server.stop();
  return output.trim();
}

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const tickets = generateTickets();
console.log(`${TICKETS} tickets, batches of ${BATCH}, ${ROUNDS} alternating rounds, median ratio`);
// Alternating the two measurements spreads the machine's drift over both.
const ratios: number[] = [];
for (let round = 1; round <= ROUNDS; round++) {
  const bare = await bareInsert(tickets);
  const { seconds: api, cpuPerBatch } = await throughApi(tickets);
  ratios.push(bare / api);
  console.log(
    `round ${round}: bare multi-row INSERT ${bare.toFixed(2)} s (${Math.round(TICKETS / bare)} rows/s), ` +
      `POST /v1/tickets ${api.toFixed(2)} s (${Math.round(TICKETS / api)} rows/s), ratio ${(bare / api).toFixed(2)}; ` +
      `server CPU ${cpuPerBatch.all.toFixed(0)} ms a batch (request thread ${cpuPerBatch.main.toFixed(0)})`,
  );
}
const ratio = ratios.sort((a, b) => a - b)[Math.floor(ratios.length / 2)] ?? 0;
console.log(
  `throughput ratio (API / bare INSERT), median: ${ratio.toFixed(2)}  ${ratio >= 0.5 ? 'met' : 'NOT MET'} (target >= 0.5)`,
);
const { seconds: concurrent } = await throughApi(tickets, 2);
console.log(
  `for information, 2 concurrent clients: POST /v1/tickets ${concurrent.toFixed(2)} s (${Math.round(TICKETS / concurrent)} rows/s)`,
);
if (!process.env.BENCH_SKIP_IMPORT) {
  console.log('\nThe shared data set through `npm run import`:');
  console.log(await importSharedData());
}
