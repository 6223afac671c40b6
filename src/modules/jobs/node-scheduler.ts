import cron from 'node-cron';
import type { Deps } from '../../deps';
import type { Job } from './job';
import { runJob } from './run-job';
import { dueAt, triggerOf } from './schedule-moments';

export type Scheduler = { stop(): Promise<void> };

/**
 * How late a job may still start after its moment. node-cron's default (1 s) drops the
 * whole run when the event loop is that busy at the minute (an import, a recompute), which
 * for the Monday jobs loses a week; a run claimed late still counts for its own minute.
 */
const LATE_START_TOLERANCE_MS = 50_000;

/** Node only: node-cron decides when; `runJob` claims the run so other instances skip it. */
export function startScheduler(deps: Deps, jobs: readonly Job[]): Scheduler {
  const running = new Set<Promise<unknown>>();
  // node-cron's own warnings (a missed or overlapping run) as JSON lines like every other.
  const logger = {
    info: (message: string) => deps.logger.info(message, { source: 'node-cron' }),
    warn: (message: string) => deps.logger.warn(message, { source: 'node-cron' }),
    debug: (message: string | Error) => deps.logger.debug(String(message), { source: 'node-cron' }),
    error: (message: string | Error, error?: Error) =>
      deps.logger.error(String(message), { source: 'node-cron', error: error?.message }),
  };
  const stopping = new AbortController();
  const tasks = jobs.map((job) =>
    cron.schedule(
      triggerOf(job),
      () => {
        const now = deps.clock.now();
        if (!dueAt(job, deps.config, now)) return;
        const run = runJob(deps, job, now, { stop: stopping.signal }).finally(() =>
          running.delete(run),
        );
        running.add(run);
        return run;
      },
      {
        name: job.name,
        timezone: 'UTC',
        noOverlap: true,
        missedExecutionTolerance: LATE_START_TOLERANCE_MS,
        logger,
      },
    ),
  );
  return {
    async stop() {
      stopping.abort();
      await Promise.all(tasks.map((task) => task.stop()));
      await Promise.allSettled(running);
    },
  };
}
