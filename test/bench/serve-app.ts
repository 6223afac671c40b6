import { monitorEventLoopDelay } from 'node:perf_hooks';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { buildDeps } from '../../src/composition-root';
import { loadConfig } from '../../src/config';
import { openPostgres } from '../../src/db/postgres';
import { createLogger } from '../../src/logger';
import { warmNoticeAccounts } from '../../src/modules/notices/notices.service';
import { threadDetectionRunner } from '../../src/modules/spikes/detection-thread';
import { serveNode } from '../../src/node-server';
import { threadCompute } from '../../src/threads/thread-compute';
import { BENCH_BROWSER_ORIGIN } from './app-server';

/**
 * The server side of bench:notices and bench:ingest, in its own process so the load
 * generator does not share its event loop: `forestall` serves the real app over the bench
 * database as `npm start` does (its Node server, exposures flushed every second,
 * and detection and other heavy work on worker threads); `bare` serves one Hono JSON route through the same node:http adapter. Prints the port,
 * and at SIGTERM the peak resident set size.
 */

const [mode, databaseUrl] = process.argv.slice(2);
const SAMPLE_NOTICE = {
  id: '01933b4e-0000-7000-8000-000000000000',
  channels: ['banner'],
  severity: 'warning',
  title: 'Scheduled maintenance',
  body_html: '<p>The dashboard is read-only from 02:00 to 04:00 UTC.</p>',
  cta: null,
  starts_at: '2026-03-02T09:00:00.000Z',
  ends_at: null,
};

async function start() {
  const listen = { port: 0, hostname: '127.0.0.1' };
  if (mode === 'bare') {
    const bare = new Hono();
    bare.get('/v1/accounts/:id/notices', (c) =>
      c.json({ account_id: c.req.param('id'), locale: null, notices: [SAMPLE_NOTICE] }),
    );
    return serve({ fetch: bare.fetch, ...listen });
  }
  if (!databaseUrl) throw new Error('usage: serve-app.ts forestall <database url>');
  // BENCH_LOG_LEVEL=info logs every request, as a default deployment does.
  const logLevel = process.env.BENCH_LOG_LEVEL ?? 'warn';
  const config = loadConfig({
    DATABASE_URL: databaseUrl,
    LOG_LEVEL: logLevel,
    CORS_ORIGINS: BENCH_BROWSER_ORIGIN,
  });
  const database = openPostgres(databaseUrl, { poolMax: config.databasePoolMax });
  const detectionCompute = threadCompute();
  const deps = buildDeps(config, database.db, {
    logger: createLogger(config.logLevel),
    compute: threadCompute({ background: true }),
    detection: threadDetectionRunner(detectionCompute),
  });
  setInterval(() => deps.notices.exposures.flush().catch(() => {}), 1_000);
  // Under tsx each thread compiles the TypeScript it loads (seconds of CPU, where the built
  // bundle `npm start` runs loads in a fraction of one): done before the port is announced,
  // so the timed requests do not pay for it.
  await Promise.all([deps.compute.warm?.(), detectionCompute.warm?.()]);
  await warmNoticeAccounts(deps);
  return serveNode(deps, listen);
}

const server = await start();
// BENCH_LOOP_DELAY=1 prints the event loop's delay each second (stderr): what held it.
if (process.env.BENCH_LOOP_DELAY) printLoopDelay();
const announcePort = () => {
  const address = server.address();
  console.log(`PORT ${typeof address === 'object' && address ? address.port : 0}`);
};
if (server.listening) announcePort();
else server.once('listening', announcePort);
process.on('SIGTERM', () => {
  console.log(`MAX_RSS_KB ${process.resourceUsage().maxRSS}`);
  // A clean exit, so `--cpu-prof` can write its profile.
  process.exit(0);
});

function printLoopDelay() {
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  const ms = (ns: number) => (ns / 1e6).toFixed(1);
  setInterval(() => {
    process.stderr.write(
      `event loop delay: p50 ${ms(delay.percentile(50))} ms, p99 ${ms(delay.percentile(99))} ms, max ${ms(delay.max)} ms\n`,
    );
    delay.reset();
  }, 1_000).unref();
}
