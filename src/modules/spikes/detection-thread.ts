import type { Compute } from '../../threads/compute';
import type { DetectionRunner, DetectionWork, ReasonWork } from './detection-job';

/**
 * Node only: detection runs on the compute threads, so fitting thousands of count models never
 * holds the event loop that answers requests. Reasons are dealt out so the threads finish
 * together: longest first, each to the thread with the least work so far, a reason's work
 * being about its weeks from its first contact (one model per 26 of them).
 */
export function threadDetectionRunner(compute: Compute, threads = 2): DetectionRunner {
  const runner: DetectionRunner = async (work) => {
    const chunks: DetectionWork[] = Array.from({ length: threads }, () => ({
      calendar: work.calendar,
      reasons: [],
    }));
    const load = chunks.map(() => 0);
    for (const reason of [...work.reasons].sort((a, b) => weeksActive(b) - weeksActive(a))) {
      const lightest = load.indexOf(Math.min(...load));
      chunks[lightest]?.reasons.push(reason);
      load[lightest] = (load[lightest] ?? 0) + weeksActive(reason);
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

function weeksActive(reason: ReasonWork): number {
  const first = reason.counts.findIndex((count) => count > 0);
  return first < 0 ? 0 : reason.counts.length - first;
}
