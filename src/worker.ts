// The importable flavour of the Workers types, so Node's globals stay Node's in the rest of the code.
import type { ExecutionContext, ScheduledController } from '@cloudflare/workers-types/index';
import { createApp } from './app';
import { buildDeps, createInstanceCaches, type InstanceCaches } from './composition-root';
import { loadConfig } from './config';
import { openPostgres } from './db/postgres';
import { cronTable } from './jobs/cron-table';
import { runJobsForCron } from './jobs/run-job';

/** Cloudflare Workers entry. Imports nothing Node-only: PGlite and the migrator stay out. */

type Bindings = Record<string, unknown> & {
  DATABASE_URL?: string;
  HYPERDRIVE?: { connectionString: string };
};

// Per isolate: requests served by this isolate share them, as requests on one Node process do.
// Built on the first request, the first moment the bindings (configuration) are known.
let caches: InstanceCaches | undefined;

/**
 * Workers cannot share a socket between requests, so each request (and each cron run) gets
 * its own small connection, closed after the response with waitUntil. With Hyperdrive the
 * pooling happens at Cloudflare's edge.
 */
function depsFor(env: Bindings) {
  const connectionString = env.HYPERDRIVE?.connectionString ?? env.DATABASE_URL;
  if (!connectionString) {
    throw new Error('Set a HYPERDRIVE binding or the DATABASE_URL secret for the Worker.');
  }
  const config = loadConfig({ ...env, DATABASE_URL: connectionString });
  const database = openPostgres(connectionString, {
    poolMax: 1,
    statementTimeoutMs: config.databaseStatementTimeoutMs,
  });
  caches ??= createInstanceCaches(config);
  const background: Promise<void>[] = [];
  const deps = buildDeps(config, database.db, {
    caches,
    background: (task) => background.push(task),
  });
  return { deps, database, background };
}

export default {
  async fetch(request: Request, env: Bindings, ctx: ExecutionContext): Promise<Response> {
    const { deps, database, background } = depsFor(env);
    const response = await createApp(deps).fetch(request, env, ctx);
    // Each request's exposures and background work finish after its response, then the
    // connection closes.
    ctx.waitUntil(
      Promise.allSettled([deps.notices.exposures.flush(), ...background]).finally(() =>
        database.close(),
      ),
    );
    return response;
  },

  async scheduled(controller: ScheduledController, env: Bindings, ctx: ExecutionContext) {
    const { deps, database } = depsFor(env);
    const run = runJobsForCron(
      deps,
      cronTable,
      controller.cron,
      new Date(controller.scheduledTime),
    );
    ctx.waitUntil(run.finally(() => database.close()));
  },
};
