import type { TicketImportRow } from '../../db/schema';

/** A run that wrote nothing for this long has stopped or is stuck: a batch takes seconds. */
const STALE_MS = 30_000;
/** resume-imports runs each minute, on the minute (its cron is `* * * * *`). */
const RESUME_EVERY_MS = 60_000;

export type ImportWait = {
  /** The run's last sign of work: started, taken up, or a batch committed. */
  since: Date;
  /** When resume-imports takes it up, if nobody works on it before. */
  resumesBy: Date;
  /** Its claim has lapsed: nobody works on it until then. Otherwise its server may be slow. */
  lapsed: boolean;
};

/**
 * How a running import that wrote nothing lately waits: resume-imports takes up a run whose
 * claim has lapsed (`lease_until` before the job's now), so at the first minute after that.
 */
export function importWait(
  run: Pick<TicketImportRow, 'status' | 'progressAt' | 'leaseUntil'>,
  now: Date,
): ImportWait | undefined {
  if (run.status !== 'running' || now.getTime() - run.progressAt.getTime() < STALE_MS) {
    return undefined;
  }
  const lapsed = !run.leaseUntil || run.leaseUntil < now;
  const free = lapsed || !run.leaseUntil ? now : run.leaseUntil;
  const nextRun = (Math.floor(free.getTime() / RESUME_EVERY_MS) + 1) * RESUME_EVERY_MS;
  return { since: run.progressAt, resumesBy: new Date(nextRun), lapsed };
}
