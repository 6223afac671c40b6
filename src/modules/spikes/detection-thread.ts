import type { Compute } from '../../threads/compute';
import type { DetectionRunner, DetectionWork, ReasonWork } from './detection-job';

/**
 * Node only: detection runs on the compute threads, so fitting thousands of count models never
 * holds the event loop that answers requests. Reasons are dealt out so the threads finish
 * together: longest first, each to the thread with the least work so far, a reason's work
 * being about its weeks with contacts (a reason with a few stray tickets a year spans years
 * but fits no model).
 */
export function threadDetectionRunner(
  compute: Compute,
  threads = compute.threads ?? 1,
): DetectionRunner {
  const runner: DetectionRunner = async (work) => {
    const chunks: DetectionWork[] = Array.from({ length: threads }, () => ({
      calendar: work.calendar,
      reasons: [],
    }));
    const load = chunks.map(() => 0);
    const weighed = work.reasons.map((reason) => ({ reason, work: weeksWithContacts(reason) }));
    for (const { reason, work } of weighed.sort((a, b) => b.work - a.work)) {
      const lightest = load.indexOf(Math.min(...load));
      chunks[lightest]?.reasons.push(reason);
      load[lightest] = (load[lightest] ?? 0) + work;
    }
    const results = await Promise.all(
      chunks.map((chunk, slot) =>
        chunk.reasons.length > 0 ? compute('detection', chunk, slot) : [],
      ),
    );
    const byReason = new Map(results.flat().map((r) => [r.reason, r]));
    return work.reasons.map((r) => {
      const result = byReason.get(r.reason);
      if (!result) throw new Error(`detection returned no result for ${r.reason}`);
      return result;
    });
  };
  runner.offThread = compute.offThread;
  return runner;
}

function weeksWithContacts(reason: ReasonWork): number {
  let weeks = 0;
  for (const count of reason.counts) if (count > 0) weeks++;
  return weeks;
}
