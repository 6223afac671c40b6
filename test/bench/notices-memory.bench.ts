import { buildDeps } from '../../src/composition-root';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/logger';
import { noticesFor, warmNoticeAccounts } from '../../src/modules/notices/notices.service';
import { keptBenchDatabase, noticesBenchDatabase } from './bench-database';

/**
 * npm run bench:notices-memory — what the notices account cache costs per account: the heap
 * after a start's warm-up and after every account has been answered once (its answer kept),
 * against the heap before, over the database bench:notices keeps (BENCH_KEEP_DATABASE=1,
 * same BENCH_ACCOUNTS and BENCH_SEED). Runs with --expose-gc, so each reading is after a
 * full collection.
 */

const ACCOUNTS = Number(process.env.BENCH_ACCOUNTS ?? 100_000);
const SEED = Number(process.env.BENCH_SEED ?? 17);
const DATABASE = noticesBenchDatabase(SEED, ACCOUNTS);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

const heapUsed = () => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};

const database = await keptBenchDatabase(DATABASE);
if (!database) {
  throw new Error(`no ${DATABASE}: run BENCH_KEEP_DATABASE=1 npm run bench:notices first`);
}
const config = loadConfig({ ...process.env, LOG_LEVEL: 'warn', DATABASE_URL: database.url });
const deps = buildDeps(config, database.db, { logger: createLogger('warn') });
// Sightings are not the cache's: none is kept or written.
deps.notices.exposures.record = () => {};
await deps.notices.catalog.current();
await deps.notices.accounts.sync(deps.db);
const before = heapUsed();
const started = performance.now();
await warmNoticeAccounts(deps);
const warmSeconds = (performance.now() - started) / 1000;
const cached = deps.notices.accounts.size().accounts;
const warmed = heapUsed();
for (let i = 0; i < ACCOUNTS; i++) {
  const id = `acct-${i}`;
  if (deps.notices.accounts.get(id)) await noticesFor(deps, id);
}
const answered = heapUsed();
const perAccount = (bytes: number) => (bytes / Math.max(cached, 1)).toFixed(0);
console.log(
  `${cached} of ${ACCOUNTS} accounts cached (warm-up ${warmSeconds.toFixed(1)} s); ` +
    `heap per account: ${perAccount(warmed - before)} bytes as read, ` +
    `${perAccount(answered - before)} bytes with its answer kept; ` +
    `heap ${(answered / 2 ** 20).toFixed(0)} MB; ` +
    `the cache's estimate ${perAccount(deps.notices.accounts.size().bytes)} bytes per account`,
);
await database.close();
