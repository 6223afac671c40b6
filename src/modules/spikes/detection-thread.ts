import type { Compute } from '../../threads/compute';
import type { DetectionRunner, DetectionWork, ReasonResult } from './detection-job';

/**
 * Node only: detection runs on the compute threads, so fitting thousands of count models never
 * holds the event loop that answers requests; reasons are dealt out over the threads, busiest
 * first.
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
    [...work.reasons]
      .sort((a, b) => sum(b.counts) - sum(a.counts))
      .forEach((reason, i) => {
        chunks[i % threads]?.reasons.push(reason);
      });
    const results = await Promise.all(
      chunks.map((chunk, slot) =>
        chunk.reasons.length > 0 ? compute('detection', chunk, slot) : [],
      ),
    );
    const byReason = new Map(results.flat().map((r) => [r.reason, r]));
    return work.reasons.map((r) => byReason.get(r.reason) as ReasonResult);
  };
  runner.offThread = compute.offThread;
  return runner;
}

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
