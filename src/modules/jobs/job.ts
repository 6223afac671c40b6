import type { Deps } from '../../deps';

/** A scheduled job is a plain function; node-cron or a Cron Trigger only decides when. */
export type Job = {
  name: string;
  /**
   * Five-field cron expression, evaluated in UTC on Node and on Workers alike, unless
   * `inWorkspaceZone`.
   */
  schedule: string;
  /**
   * `schedule` names local times in WORKSPACE_TIME_ZONE: for a job whose run covers the
   * workspace's week, which ends at a different UTC moment in each zone. The minute trigger
   * fires it (see `triggerOf`), and it runs in the minutes its schedule names there.
   */
  inWorkspaceZone?: true;
  /**
   * `now` is the moment the run stands for: when it started, or, for a run that makes up for
   * a missed or abandoned one, that run's scheduled moment, so a weekly job covers the week
   * its scheduled run would have (`deps.clock` still tells the time).
   * `stop` is aborted when the process is shutting down: a job that loops over work stops
   * taking more and lets what it has in hand finish, so the shutdown ends within its grace.
   */
  run: (deps: Deps, now: Date, stop?: AbortSignal) => Promise<void>;
  /**
   * Run again as soon as a run is found abandoned (its process died mid-run), rather than at
   * the next scheduled time: for jobs whose next run is a day or a week away.
   */
  rerunIfAbandoned?: true;
  /**
   * Run once, late, when no run started at or after its latest scheduled moment (no process
   * was up then): for jobs whose run covers a period no later run covers in time, as a week's
   * spike alerts or digest. A prune needs none: its next run removes what this one would have.
   */
  catchUpIfMissed?: true;
};
