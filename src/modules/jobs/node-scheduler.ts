import cron from 'node-cron';
import type { Deps } from '../../deps';
import type { Job } from './job';
import { runJob } from './run-job';

export type Scheduler = { stop(): Promise<void> };

/** Node only: node-cron decides when; `runJob` claims the run so other instances skip it. */
export function startScheduler(deps: Deps, jobs: readonly Job[]): Scheduler {
  const running = new Set<Promise<unknown>>();
  const tasks = jobs.map((job) =>
    cron.schedule(
      job.schedule,
      () => {
        const run = runJob(deps, job, deps.clock.now()).finally(() => running.delete(run));
        running.add(run);
        return run;
      },
      { name: job.name, timezone: 'UTC', noOverlap: true },
    ),
  );
  return {
    async stop() {
      await Promise.all(tasks.map((task) => task.stop()));
      await Promise.allSettled(running);
    },
  };
}
