import { buildDeps } from './composition-root';
import { type Config, ConfigError, loadConfigFromProcessEnv } from './config';
import type { Database } from './db/database';
import { databaseErrorSummary, isDatabaseConnectionEnd } from './db/database-errors';
import { openDatabase, redactUrl } from './db/open-database';
import type { PgliteOpening } from './db/pglite';
import type { Deps } from './deps';
import type { BootstrapResult } from './modules/auth/api-keys.service';
import { warnWithoutOneClickUnsubscribe } from './modules/email/compose/list-unsubscribe';
import { cronTable } from './modules/jobs/cron-table';
import { type EmailPoller, startEmailPoller } from './modules/jobs/email-poller';
import { type Scheduler, startScheduler } from './modules/jobs/node-scheduler';
import { warmNoticeAccounts } from './modules/notices/notices.service';
import { threadDetectionRunner } from './modules/spikes/detection-thread';
import { type NodeServer, serveNode } from './node-server';
import { webhookFetch } from './node-webhook-fetch';
import { prepareWorkspace } from './prepare-workspace';
import { threadCompute } from './threads/thread-compute';

const SHUTDOWN_GRACE_MS = 10_000;
const EXPOSURE_FLUSH_MS = 1_000;

const OPENING_MESSAGES: Record<PgliteOpening, string> = {
  opened: 'Opening the embedded database…',
  created_from_seed: 'First start: creating the embedded database from the migrated seed…',
  created: 'First start: creating the embedded database (up to a minute)…',
};

async function main(): Promise<void> {
  const config = readConfigOrExit();
  console.log(`Starting forestall with ${redactUrl(config.databaseUrl)}…`);
  const database = await openDatabase(config.databaseUrl, {
    poolMax: config.databasePoolMax,
    statementTimeoutMs: config.databaseStatementTimeoutMs,
    onOpening: (opening) => console.log(OPENING_MESSAGES[opening]),
  });
  console.log('Applying migrations…');
  // Work requests leave running (re-contact flags) is finished before the database closes.
  const inflight = new Set<Promise<void>>();
  // Detection keeps its own threads at normal priority (recomputing verdicts is a job that
  // should finish); what requests hand over runs on threads that yield to them.
  const deps = buildDeps(config, database.db, {
    compute: threadCompute({ background: true }),
    detection: threadDetectionRunner(threadCompute()),
    readiness: { noticesWarm: false },
    webhookFetch: webhookFetch({ allowLoopback: config.webhooksAllowLoopback }),
    keepAlive: (running) => {
      inflight.add(running);
      void running.finally(() => inflight.delete(running));
    },
  });
  survivesConnectionLoss(deps);
  warnWithoutOneClickUnsubscribe(deps);
  announceBootstrapKey(deps, await prepareWorkspace(deps, database));

  const server = serveNode(deps, { port: config.port, hostname: config.host });
  await new Promise<void>((resolve) => server.once('listening', resolve));
  const scheduler = startScheduler(deps, cronTable);
  const emailPoller = startEmailPoller(deps);
  void warmUntilDone(deps);
  deps.compute.warm?.().catch((error: unknown) => {
    deps.logger.warn('could not start the compute threads; they start on first use', {
      error: error instanceof Error ? error.message : String(error),
    });
  });
  const exposureFlusher = setInterval(() => {
    deps.notices.exposures.flush().catch(() => {});
  }, EXPOSURE_FLUSH_MS);

  deps.logger.info('forestall started', {
    database: database.driver,
    database_url: redactUrl(config.databaseUrl),
    email_transport: deps.mailer.name,
  });
  // From the process's start: loading the code is part of the wait.
  const seconds = (performance.now() / 1000).toFixed(1);
  console.log(`forestall is listening on ${config.publicUrl} (started in ${seconds} s)`);
  console.log(`Console: ${config.publicUrl}/console (sign in with an admin, ops or analyst key)`);
  console.log(`API reference: ${config.publicUrl}/docs`);

  const stop = once(() => {
    clearInterval(exposureFlusher);
    return shutDown(deps, server, scheduler, emailPoller, database, inflight);
  });
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

const WARM_RETRY_MS = 5_000;

/** `/ready` answers 200 once this is done, so the first traffic does not take the slow path. */
async function warmUntilDone(deps: Deps): Promise<void> {
  for (;;) {
    try {
      await warmNoticeAccounts(deps);
      deps.readiness.noticesWarm = true;
      return;
    } catch (error) {
      deps.logger.warn('could not warm the notices caches; retrying', {
        error: databaseErrorSummary(error),
      });
      await new Promise((resolve) => setTimeout(resolve, WARM_RETRY_MS).unref());
    }
  }
}

function readConfigOrExit(): Config {
  try {
    return loadConfigFromProcessEnv();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
}

/** The generated key goes to the terminal once, never to the structured log. */
function announceBootstrapKey(deps: Deps, bootstrap: BootstrapResult): void {
  if (!bootstrap.created) return;
  if (bootstrap.source === 'ADMIN_API_KEY') {
    console.log('Created the first admin key from ADMIN_API_KEY.');
    return;
  }
  console.log(
    [
      '',
      'First start: created an admin API key. It is shown only this once; store it now.',
      `  ADMIN API KEY: ${bootstrap.key}`,
      `  Try: curl -H "Authorization: Bearer ${bootstrap.key}" ` +
        `${deps.config.publicUrl}/v1/api-keys`,
      '',
    ].join('\n'),
  );
}

/** Stop accepting, let in-flight requests and jobs finish, then close the database. */
async function shutDown(
  deps: Deps,
  server: NodeServer,
  scheduler: Scheduler,
  emailPoller: EmailPoller,
  database: Database,
  inflight: Set<Promise<void>>,
): Promise<void> {
  deps.logger.info('shutting down');
  const forced = setTimeout(() => {
    deps.logger.error('shutdown grace period elapsed; exiting');
    deps.logger.flush();
    process.exit(1);
  }, SHUTDOWN_GRACE_MS);
  forced.unref();
  await Promise.all([
    new Promise<void>((resolve) => server.close(() => resolve())),
    scheduler.stop(),
    emailPoller.stop(),
  ]);
  await Promise.allSettled(inflight);
  // Requests are done, so every exposure they recorded is in the buffer.
  await deps.notices.exposures.flush().catch((error: unknown) => {
    deps.logger.error('exposures could not be written at shutdown', { error: String(error) });
  });
  await database.close();
  deps.logger.info('stopped');
  // The log is written asynchronously: what is still buffered goes out before the exit.
  deps.logger.flush();
  process.exit(0);
}

function once(fn: () => Promise<void>): () => void {
  let started = false;
  return () => {
    if (started) return;
    started = true;
    void fn();
  };
}

main().catch((error: unknown) => {
  console.error('forestall failed to start:', error);
  process.exit(1);
});

/**
 * When Postgres ends connections under a busy server (a restart, a failover, a pooler, an
 * administrator), postgres.js rejects a promise of its own that nothing awaits with the
 * server's "terminating connection" error; by Node's default that unhandled rejection ends
 * the process that serves every product app's notices, though the queries caught in the
 * connection already failed to their callers. Those are logged; any other unhandled rejection
 * still ends the process.
 */
function survivesConnectionLoss(deps: Deps): void {
  process.on('unhandledRejection', (reason) => {
    if (!isDatabaseConnectionEnd(reason)) throw reason;
    deps.logger.warn('a database connection ended under a query nothing awaited', {
      error: databaseErrorSummary(reason),
    });
  });
}
