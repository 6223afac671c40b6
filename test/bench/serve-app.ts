import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { createApp } from '../../src/app';
import { loadConfig } from '../../src/config';
import { openPostgres } from '../../src/db/postgres';
import { buildDeps } from '../../src/deps';
import { createLogger } from '../../src/logger';
import { warmNoticeAccounts } from '../../src/modules/notices/notices.service';

/**
 * The server side of bench:notices and bench:ingest, in its own process so the load generator does not share
 * its event loop: `forestall` serves the real app over the bench database (flushing
 * exposures every second, as `npm start` does); `bare` serves one Hono JSON route.
 * Prints the port; GET /__bench/rss answers the peak resident set size.
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

let fetchHandler: (request: Request) => Response | Promise<Response>;
if (mode === 'bare') {
  const bare = new Hono();
  bare.get('/v1/accounts/:id/notices', (c) =>
    c.json({ account_id: c.req.param('id'), locale: null, notices: [SAMPLE_NOTICE] }),
  );
  fetchHandler = bare.fetch;
} else {
  if (!databaseUrl) throw new Error('usage: notices-server.ts forestall <database url>');
  const config = loadConfig({ DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn' });
  const database = openPostgres(databaseUrl, { poolMax: config.databasePoolMax });
  const deps = buildDeps(config, database.db, { logger: createLogger('warn') });
  setInterval(() => deps.notices.exposures.flush().catch(() => {}), 1_000);
  await warmNoticeAccounts(deps);
  fetchHandler = createApp(deps).fetch;
}

const server = serve({
  fetch: (request) => {
    if (new URL(request.url).pathname === '/__bench/rss') {
      return Response.json({ max_rss_kb: process.resourceUsage().maxRSS });
    }
    return fetchHandler(request);
  },
  port: 0,
  hostname: '127.0.0.1',
});
server.once('listening', () => {
  const address = server.address();
  console.log(`PORT ${typeof address === 'object' && address ? address.port : 0}`);
});
// A clean exit, so `--cpu-prof` (NODE_OPTIONS) can write its profile.
process.on('SIGTERM', () => process.exit(0));
