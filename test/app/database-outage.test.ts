import type { Server } from 'node:http';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDeps } from '../../src/composition-root';
import { loadConfig } from '../../src/config';
import type { Database } from '../../src/db/database';
import { rowsOf } from '../../src/db/json-param';
import { openPostgres } from '../../src/db/postgres';
import type { Deps } from '../../src/deps';
import { createLogger } from '../../src/logger';
import { createApiKey } from '../../src/modules/auth/api-keys.service';
import { warmNoticeAccounts } from '../../src/modules/notices/notices.service';
import { serveNode } from '../../src/node-server';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';

const OUTAGE_MS = 10_000;
const ACCOUNTS = 60;

/**
 * The app as `npm start` serves it (the Node server with its notices fast path), its
 * Postgres behind a TCP proxy that drops every connection for 10 s and leaves new ones
 * unanswered. Postgres only: the embedded database runs inside the process and has no
 * connection to lose.
 */
describe.runIf(process.env.TEST_DATABASE_URL)('a 10-second database outage', () => {
  let database: TestDatabase;
  let proxy: TcpProxy;
  let proxied: Database;
  let deps: Deps;
  let server: Server;
  let base: string;
  let admin: string;
  let app: string;
  const logs: string[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    const target = new URL(database.url ?? '');
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port) });
    target.port = String(proxy.port);
    proxied = openPostgres(target.toString(), { poolMax: 4, connectTimeoutSeconds: 2 });
    deps = buildDeps(loadConfig({ LOG_LEVEL: 'warn', REQUEST_TIMEOUT_MS: '4000' }), proxied.db, {
      logger: createLogger('warn', (line) => logs.push(line)),
    });
    admin = (await createApiKey(deps, { name: 'admin', role: 'admin', createdBy: null })).key;
    app = (await createApiKey(deps, { name: 'app', role: 'app', createdBy: null })).key;
    server = serveNode(deps, { port: 0, hostname: '127.0.0.1' });
    await new Promise<void>((resolve) => server.once('listening', resolve));
    const address = server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    const accounts = Array.from({ length: ACCOUNTS }, (_, i) => ({ id: `acct-${i}`, plan: 'pro' }));
    await call('POST', '/v1/accounts/batch', admin, { accounts });
    const published = await call('POST', '/v1/campaigns', admin, {
      channels: ['banner'],
      title: 'Billing runs tonight',
      body: 'Expect a charge.',
      audience: { type: 'all' },
      publish: true,
    });
    expect(published.status).toBe(201);
    deps.notices.catalog.invalidate();
    await warmNoticeAccounts(deps);
  });
  afterAll(async () => {
    server?.close();
    await proxied?.close();
    await proxy?.close();
    await database?.close();
  });

  async function call(method: string, path: string, key: string, json?: unknown) {
    const started = performance.now();
    const response = await fetch(`${base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${key}`,
        ...(json ? { 'content-type': 'application/json' } : {}),
      },
      body: json ? JSON.stringify(json) : undefined,
    });
    const body = await response.text();
    return {
      status: response.status,
      headers: response.headers,
      body,
      ms: performance.now() - started,
    };
  }

  it('keeps answering notices from memory, refuses writes with 503, and loses no exposure', async () => {
    // Half the accounts are seen before the outage; the other half first during it.
    for (let i = 0; i < ACCOUNTS / 2; i++) {
      expect((await call('GET', `/v1/accounts/acct-${i}/notices`, app)).status).toBe(200);
    }
    await deps.notices.exposures.flush();

    proxy.cut();
    const started = performance.now();
    const during = () => performance.now() - started < OUTAGE_MS;
    const notices: { status: number; ms: number }[] = [];
    const writes: { status: number; retryAfter: string | null; ms: number }[] = [];
    const ready: number[] = [];
    // Product apps keep asking; meanwhile ops try to write and the orchestrator probes /ready.
    const asking = (async () => {
      for (let round = 0; during(); round++) {
        const answer = await call('GET', `/v1/accounts/acct-${round % ACCOUNTS}/notices`, app);
        notices.push({ status: answer.status, ms: answer.ms });
      }
    })();
    const writing = (async () => {
      for (let round = 0; during(); round++) {
        const write = await call('PUT', `/v1/accounts/acct-${round}`, admin, { plan: 'team' });
        writes.push({
          status: write.status,
          retryAfter: write.headers.get('retry-after'),
          ms: write.ms,
        });
        ready.push((await call('GET', '/ready', admin)).status);
      }
    })();
    await Promise.all([asking, writing]);
    const flushDuringOutage = await deps.notices.exposures.flush().then(
      () => 'written',
      () => 'kept for later',
    );
    proxy.restore();

    expect(notices.length).toBeGreaterThan(ACCOUNTS);
    expect(notices.filter((n) => n.status !== 200)).toEqual([]);
    // No caller waits on the database: each answer within a few times the bounded waits.
    expect(Math.max(...notices.map((n) => n.ms))).toBeLessThan(5_000);
    expect(writes.length).toBeGreaterThan(0);
    expect(writes.every((w) => w.status === 503 && Number(w.retryAfter) > 0)).toBe(true);
    expect(Math.max(...writes.map((w) => w.ms))).toBeLessThan(8_000);
    expect(ready.every((status) => status === 503)).toBe(true);
    expect(flushDuringOutage).toBe('kept for later');

    // Back: ready again, writes go through, and the exposures seen during the outage land.
    let readyAgain = 0;
    for (let tries = 0; tries < 100 && readyAgain !== 200; tries++) {
      readyAgain = (await call('GET', '/ready', admin)).status;
      if (readyAgain !== 200) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    // Why it was still not ready, should it not be: the service logs each failed check.
    const lastCheck = logs.filter((line) => line.includes('readiness check failed')).at(-1);
    expect(readyAgain, lastCheck).toBe(200);
    expect((await call('PUT', '/v1/accounts/acct-0', admin, { plan: 'team' })).status).toBe(200);
    await deps.notices.exposures.flush();
    const [logged] = rowsOf<{ accounts: number }>(
      await database.db.execute(
        sql`select count(distinct account_id)::int as accounts from exposure_log`,
      ),
    );
    expect(logged?.accounts).toBe(ACCOUNTS);
    expect(logs.join('\n')).not.toContain('"unhandled error"');
  }, 60_000);
});
