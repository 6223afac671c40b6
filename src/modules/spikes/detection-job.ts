import {
  type Calendar,
  type Explanation,
  type ReasonBaseline,
  reasonBaseline,
  type WeekStatus,
} from './detect';

/** One reason to fit: its whole weekly series and the weeks that are data anomalies. */
export type ReasonWork = { reason: string; counts: number[]; anomalies: number[] };

export type DetectionWork = { calendar: Calendar; reasons: ReasonWork[] };

/** A reason's verdicts in plain arrays, as they cross a thread boundary and are stored. */
export type ReasonResult = {
  reason: string;
  status: string;
  expected: number[];
  usual: number[];
  probability: number[];
  variance: number[];
  history: number[];
  stage: ('short' | 'model' | null)[];
  explanations: [number, Explanation][];
};

/** Runs detection work: on worker threads on Node, inline where there are none (Workers). */
export type DetectionRunner = ((work: DetectionWork) => Promise<ReasonResult[]>) & {
  /** True when the work leaves the thread that answers requests. */
  offThread?: boolean;
};

export function computeDetection(work: DetectionWork): ReasonResult[] {
  return work.reasons.map(({ reason, counts, anomalies }) =>
    toResult(reasonBaseline(reason, counts, work.calendar, new Set(anomalies))),
  );
}

export const inlineDetectionRunner: DetectionRunner = async (work) => computeDetection(work);

function toResult(b: ReasonBaseline): ReasonResult {
  return {
    reason: b.reason,
    status: b.status.join(''),
    expected: Array.from(b.expected),
    usual: Array.from(b.usual),
    probability: Array.from(b.probability),
    variance: Array.from(b.variance),
    history: Array.from(b.history),
    stage: b.stage,
    explanations: [...b.explanations],
  };
}

/** The stored form back into what `flagSpikes` reads. */
export function toBaseline(r: ReasonResult): ReasonBaseline {
  return {
    reason: r.reason,
    status: r.status.split('') as WeekStatus[],
    expected: Float64Array.from(r.expected),
    usual: Float64Array.from(r.usual),
    probability: Float64Array.from(r.probability),
    variance: Float64Array.from(r.variance),
    history: Int32Array.from(r.history),
    stage: r.stage,
    explanations: new Map(r.explanations),
  };
}
