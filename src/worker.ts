import { AsyncLocalStorage } from 'node:async_hooks';
// The importable flavour of the Workers types, so Node's globals stay Node's in the rest of the
// code.
import type { ExecutionContext, ScheduledController } from '@cloudflare/workers-types/index';
import { type App, createApp } from './app';
import { buildDeps } from './composition-root';
import { type Config, loadConfig, WORKER_DEFAULTS } from './config';
import type { Database, Db } from './db/database';
import { openPostgres } from './db/postgres';
import type { Deps } from './deps';
import { warnWithoutOneClickUnsubscribe } from './modules/email/compose/list-unsubscribe';
import { cronTable } from './modules/jobs/cron-table';
import { runJobsForCron } from './modules/jobs/run-job';
import { warnIfRollupZoneDiffers } from './modules/reasons/reasons.service';

/** Cloudflare Workers entry. Imports nothing Node-only: PGlite and the migrator stay out. */

type Bindings = Record<string, unknown> & {
  DATABASE_URL?: string;
  HYPERDRIVE?: { connectionString: string };
};

/**
 * What one request (or cron run) holds: its database connection, opened on first use, and
 * the work it started without waiting for.
 */
type RequestScope = { database?: Database; background: Promise<void>[] };

const scopes = new AsyncLocalStorage<RequestScope>();

function currentScope(): RequestScope {
  const scope = scopes.getStore();
  if (!scope) throw new Error('the database was used outside a request or cron run');
  return scope;
}

/**
 * Workers cannot share a socket between requests, so each request gets its own connection
 * (pooled at Cloudflare's edge with Hyperdrive). This `Db` stands for the connection of
 * whichever request uses it, and opens it on first use: a request answered from the
 * instance's caches opens none.
 */
function requestScopedDb(open: () => Database): Db {
  const connection = (): Db => {
    const scope = currentScope();
    scope.database ??= open();
    return scope.database.db;
  };
  return new Proxy({} as Db, {
    get(_, property) {
      const db = connection();
      const value = Reflect.get(db, property, db);
      return typeof value === 'function' ? value.bind(db) : value;
    },
  });
}

/**
 * Built on the first request, the first moment the bindings (configuration) are known, then
 * shared by every request this isolate serves, as requests on one Node process share theirs.
 */
let isolate: { app: App; deps: Deps } | undefined;

function isolateFor(env: Bindings): { app: App; deps: Deps } {
  if (isolate) return isolate;
  const connectionString = env.HYPERDRIVE?.connectionString ?? env.DATABASE_URL;
  if (!connectionString) {
    throw new Error('Set a HYPERDRIVE binding or the DATABASE_URL secret for the Worker.');
  }
  const config: Config = loadConfig({
    ...WORKER_DEFAULTS,
    ...env,
    DATABASE_URL: connectionString,
  });
  const db = requestScopedDb(() =>
    openPostgres(connectionString, {
      poolMax: 1,
      statementTimeoutMs: config.databaseStatementTimeoutMs,
    }),
  );
  const deps = buildDeps(config, db, {
    keepAlive: (running) => currentScope().background.push(running),
  });
  if (!env.PUBLIC_URL) {
    // Node's default (localhost and its port) is never where a Worker is reached.
    deps.logger.warn('PUBLIC_URL is not set: links will point to the wrong address', {
      public_url: config.publicUrl,
      affects: 'incident shortlinks, the status page url, outage banner links, email links',
    });
  }
  warnWithoutOneClickUnsubscribe(deps);
  isolate = { app: createApp(deps), deps };
  return isolate;
}

/** What Node settles at start (it recounts the rollup), a Worker can only warn about, once. */
const checkedOnStart = new WeakSet<Deps>();

/** Runs `work` in a request scope; its exposures, background work and connection close after. */
function inScope<T>(
  deps: Deps,
  ctx: ExecutionContext,
  work: () => Promise<T>,
  flushExposures: boolean,
): Promise<T> {
  const scope: RequestScope = { background: [] };
  return scopes.run(scope, async () => {
    if (!checkedOnStart.has(deps)) {
      checkedOnStart.add(deps);
      // A failed check (the database away) is tried again by the next request.
      const retryLater = () => {
        checkedOnStart.delete(deps);
      };
      scope.background.push(warnIfRollupZoneDiffers(deps).catch(retryLater));
    }
    try {
      return await work();
    } finally {
      const exposures = flushExposures ? deps.notices.exposures.flush() : Promise.resolve();
      ctx.waitUntil(
        Promise.allSettled([exposures, ...scope.background]).finally(() => scope.database?.close()),
      );
    }
  });
}

export default {
  async fetch(request: Request, env: Bindings, ctx: ExecutionContext): Promise<Response> {
    const { app, deps } = isolateFor(env);
    return inScope(deps, ctx, async () => app.fetch(request, env, ctx), true);
  },

  async scheduled(controller: ScheduledController, env: Bindings, ctx: ExecutionContext) {
    const { deps } = isolateFor(env);
    const when = new Date(controller.scheduledTime);
    const run = inScope(
      deps,
      ctx,
      () => runJobsForCron(deps, cronTable, controller.cron, when),
      false,
    );
    ctx.waitUntil(run);
  },
};
