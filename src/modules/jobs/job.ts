import type { Deps } from '../../deps';

/** A scheduled job is a plain function; node-cron or a Cron Trigger only decides when. */
export type Job = {
  name: string;
  /** Five-field cron expression, evaluated in UTC on Node and on Workers alike. */
  schedule: string;
  run: (deps: Deps, now: Date) => Promise<void>;
};
