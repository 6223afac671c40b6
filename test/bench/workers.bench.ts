import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import uniform from '@stdlib/random-base-uniform';
import autocannon from 'autocannon';
import postgres from 'postgres';
import { buildDeps } from '../../src/composition-root';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/logger';
import { upsertAccounts } from '../../src/modules/accounts/accounts.service';
import { createApiKey } from '../../src/modules/auth/api-keys.service';
import { createCampaign } from '../../src/modules/campaigns/campaigns.service';
import { childOutput } from '../helpers/child-output';
import { freePort } from '../helpers/free-port';
import { dropBenchDatabase, freshBenchDatabase } from './bench-database';

/**
 * npm run bench:workers — the Workers entry in workerd (`wrangler dev`, local, no network):
 * GET /v1/accounts/{id}/notices for random accounts out of BENCH_ACCOUNTS (2,000) with 50
 * live campaigns, at 32 connections for BENCH_SECONDS (8), once every account has asked once
 * (warm caches); against a trivial Worker answering a fixed JSON body, served the same way in
 * the same run. Also: Postgres sessions opened per notices request while warm (from
 * pg_stat_database), which should be about none: a request answered from the isolate's
 * caches opens no connection, and only their timed re-reads (the account change feed twice
 * a second, the live campaigns once) do, however many requests arrive.
 */

const ACCOUNTS = Number(process.env.BENCH_ACCOUNTS ?? 2_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const CONNECTIONS = 32;
const SEED = Number(process.env.BENCH_SEED ?? 17);
const random = uniform.factory(0, 1, { seed: SEED });
const DATABASE = 'forestall_bench_workers';
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PLANS = ['free', 'starter', 'pro', 'enterprise'] as const;
const accountId = (i: number) => `acct-${i}`;

async function seed() {
  const database = await freshBenchDatabase(DATABASE);
  const config = loadConfig({ DATABASE_URL: database.url, LOG_LEVEL: 'warn' });
  const deps = buildDeps(config, database.db, { logger: createLogger('warn') });
  const rows = Array.from({ length: ACCOUNTS }, (_, i) => ({
    id: accountId(i),
    plan: PLANS[i % PLANS.length] as string,
    region: i % 2 === 0 ? 'eu-west' : 'us-east',
    components: i % 3 === 0 ? ['API'] : ['Dashboard'],
    locale: 'en',
    time_zone: null,
    attributes: {},
    contacts: [],
  }));
  for (let i = 0; i < rows.length; i += 5_000) await upsertAccounts(deps, rows.slice(i, i + 5_000));
  for (let i = 0; i < 50; i++) {
    await createCampaign(
      deps,
      {
        channels: ['banner'],
        title: `Notice ${i}`,
        body: `Something about **${PLANS[i % PLANS.length]}** accounts.`,
        severity: 'info',
        audience:
          i % 5 === 0
            ? { type: 'all' }
            : { type: 'rule', all: [{ attribute: 'plan', op: 'eq', value: PLANS[i % 4] }] },
        locales: {},
        target_reasons: [],
        holdout_percent: 10,
        publish: true,
      } as Parameters<typeof createCampaign>[1],
      'bench',
    );
  }
  const { key } = await createApiKey(deps, { name: 'bench app', role: 'app', createdBy: null });
  await database.close();
  return { url: database.url, key };
}

type Wrangler = { base: string; stop(): Promise<void> };

async function startWrangler(script: string, vars: Record<string, string>): Promise<Wrangler> {
  const port = await freePort();
  const args = ['wrangler', 'dev', script, '--ip', '127.0.0.1', '--port', String(port)];
  args.push('--show-interactive-dev-session=false');
  for (const [name, value] of Object.entries(vars)) args.push('--var', `${name}:${value}`);
  const child: ChildProcess = spawn('npx', args, {
    cwd: ROOT,
    detached: true,
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: 'true' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  await childOutput(child).waitFor(/Ready on/, 120_000, 'wrangler');
  return {
    base: `http://127.0.0.1:${port}`,
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      if (child.pid) process.kill(-child.pid, 'SIGTERM');
      await exited;
    },
  };
}

function load(base: string, key: string) {
  return autocannon({
    url: base,
    connections: CONNECTIONS,
    duration: SECONDS,
    requests: [
      {
        method: 'GET',
        headers: { authorization: `Bearer ${key}` },
        setupRequest: (request) => ({
          ...request,
          path: `/v1/accounts/${accountId(Math.floor(random() * ACCOUNTS))}/notices`,
        }),
      },
    ],
  });
}

const describe = (name: string, run: autocannon.Result) =>
  `${name.padEnd(36)} ${String(Math.round(run.requests.average)).padStart(6)} req/s  ` +
  `p50 ${run.latency.p50} ms  p99 ${run.latency.p99} ms  ` +
  `[2xx ${run['2xx']}, other ${run.non2xx + run.errors}]`;

async function sessionsOpened(sql: postgres.Sql): Promise<number> {
  // Backends report their statistics about once a second, and at exit.
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  await sql`select pg_stat_clear_snapshot()`;
  const [row] = await sql<{ sessions: number }[]>`
    select sessions::int from pg_stat_database where datname = ${DATABASE}`;
  return row?.sessions ?? Number.NaN;
}

console.log(`Seeding ${ACCOUNTS} accounts and 50 live campaigns (BENCH_SEED ${SEED})…`);
const seeded = await seed();
const admin = postgres(seeded.url, { max: 1, onnotice: () => {} });
const trivial = await startWrangler('test/bench/trivial-worker.ts', {});
const worker = await startWrangler('src/worker.ts', {
  DATABASE_URL: seeded.url,
  LOG_LEVEL: 'warn',
});
try {
  // Every account asks once: the isolate's caches hold them afterwards.
  for (let i = 0; i < ACCOUNTS; i += 50) {
    await Promise.all(
      Array.from({ length: Math.min(50, ACCOUNTS - i) }, (_, j) =>
        fetch(`${worker.base}/v1/accounts/${accountId(i + j)}/notices`, {
          headers: { authorization: `Bearer ${seeded.key}` },
        }).then((response) => response.arrayBuffer()),
      ),
    );
  }
  console.log(`\n${CONNECTIONS} connections, ${SECONDS} s per run, wrangler dev (workerd)`);
  const bare = await load(trivial.base, seeded.key);
  console.log(describe('trivial Worker', bare));
  const before = await sessionsOpened(admin);
  const notices = await load(worker.base, seeded.key);
  const after = await sessionsOpened(admin);
  const ratio = notices.requests.average / bare.requests.average;
  console.log(`${describe('notices, warm', notices)}  ratio ${ratio.toFixed(2)}`);
  const perRequest = (after - before) / Math.max(notices.requests.total, 1);
  console.log(
    `Postgres sessions opened while warm: ${after - before} in ${SECONDS} s ` +
      `(${perRequest.toFixed(4)} per request over ${notices.requests.total} requests)`,
  );
  console.log(
    `\n${ratio >= 0.5 ? 'met    ' : 'NOT MET'} notices >= 0.5x a trivial Worker ` +
      `(${ratio.toFixed(2)})`,
  );
  console.log(
    `${perRequest < 0.05 ? 'met    ' : 'NOT MET'} ~0 new Postgres sessions per request warm, ` +
      `below 0.05 (${perRequest.toFixed(4)}); what remains are the caches' timed re-reads`,
  );
} finally {
  await worker.stop();
  await trivial.stop();
  await admin.end();
  await dropBenchDatabase(DATABASE);
}
