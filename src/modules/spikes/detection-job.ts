import {
  type Calendar,
  type Explanation,
  type ReasonBaseline,
  reasonBaseline,
  type WeekStatus,
} from './detect';
import { type VerdictRow, verdictDigest, verdictRow } from './verdict-row';

/**
 * One reason to fit: its whole weekly series, the weeks that are data anomalies, and the
 * digest of its stored verdicts (when they start at the same week), so unchanged verdicts
 * are not encoded nor written again.
 */
export type ReasonWork = {
  reason: string;
  counts: number[];
  anomalies: number[];
  storedDigest?: string;
};

export type DetectionWork = { calendar: Calendar; reasons: ReasonWork[] };

/**
 * A reason's verdicts as they cross a thread boundary (typed arrays, moved rather than
 * copied) and, for fresh ones, the row to store when they changed.
 */
export type ReasonResult = {
  reason: string;
  status: string;
  expected: Float64Array;
  usual: Float64Array;
  probability: Float64Array;
  variance: Float64Array;
  history: Int32Array;
  stage: ('short' | 'model' | null)[];
  explanations: [number, Explanation][];
  stored?: { digest: string; row?: VerdictRow };
};

/** Runs detection work: on worker threads on Node, inline where there are none (Workers). */
export type DetectionRunner = ((work: DetectionWork) => Promise<ReasonResult[]>) & {
  /** True when the work leaves the thread that answers requests. */
  offThread?: boolean;
};

export function computeDetection(work: DetectionWork): ReasonResult[] {
  return work.reasons.map(({ reason, counts, anomalies, storedDigest }) =>
    toResult(
      reasonBaseline(reason, counts, work.calendar, new Set(anomalies)),
      counts,
      storedDigest,
    ),
  );
}

export const inlineDetectionRunner: DetectionRunner = async (work) => computeDetection(work);

function toResult(b: ReasonBaseline, counts: number[], storedDigest?: string): ReasonResult {
  const status = b.status.join('');
  const explanations = [...b.explanations];
  const parts = {
    counts,
    expected: b.expected,
    usual: b.usual,
    probability: b.probability,
    history: b.history,
    status: `${status}|${stageLetters(b.stage)}`,
    explanations: JSON.stringify(Object.fromEntries(explanations)),
  };
  const digest = verdictDigest(parts);
  return {
    reason: b.reason,
    status,
    expected: b.expected,
    usual: b.usual,
    probability: b.probability,
    variance: b.variance,
    history: b.history,
    stage: b.stage,
    explanations,
    stored: { digest, row: digest === storedDigest ? undefined : verdictRow(parts) },
  };
}

/** Stages as stored: one letter a week (`m` model, `s` short, `-` none). */
export const stageLetters = (stage: ReasonResult['stage']) =>
  stage.map((s) => (s === 'model' ? 'm' : s === 'short' ? 's' : '-')).join('');

function weekStatus(letter: string): WeekStatus {
  if (letter === 't' || letter === 'n' || letter === 'a' || letter === '-') return letter;
  throw new Error(`unknown week status ${letter}`);
}

/** The stored form back into what `flagSpikes` reads. */
export function toBaseline(r: ReasonResult): ReasonBaseline {
  return {
    reason: r.reason,
    status: r.status.split('').map(weekStatus),
    expected: r.expected,
    usual: r.usual,
    probability: r.probability,
    variance: r.variance,
    history: r.history,
    stage: r.stage,
    explanations: new Map(r.explanations),
  };
}
