import { upperTail } from './count-tail';
import { dot, fitPoissonGlm } from './poisson-glm';

/**
 * Weekly spike detection (DESIGN.md section 5), staged by how much history a reason has:
 *   < 8 weeks   no alerts, and the answer says so;
 *   8–25 weeks  an EARS C2 baseline (weeks t−9 … t−3) with a count-aware spread;
 *   ≥ 26 weeks  a log-linear count model (trend, yearly seasonality from 104 weeks, one term
 *               per predictable event) fitted on the weeks before t−2 with outliers left out.
 * A week alerts when P(Y ≥ y) under the event-free baseline passes the Benjamini–Hochberg
 * step-up at level α over the reasons tested that week, the excess is at least `minExcess`
 * and y ≥ `minRatio`·baseline.
 */

export type EventTerm = {
  eventId: string;
  title: string;
  kind: string;
  /** Share of each week (0–1) inside the event's padded windows, aligned with the series. */
  overlap: number[];
  /** Reasons the event is known to affect; empty means it may affect any reason. */
  reasons: string[];
};

export type DetectOptions = {
  alpha: number;
  minExcess: number;
  minRatio: number;
};

export const DEFAULT_DETECT_OPTIONS: DetectOptions = { alpha: 0.1, minExcess: 3, minRatio: 1.5 };

export type Attribution = {
  eventId: string;
  title: string;
  kind: string;
  share: number;
  contacts: number;
  /** `model`: split by the effect learned from earlier occurrences; `overlap`: first sight. */
  method: 'model' | 'overlap';
};

export type Spike = {
  reason: string;
  week: number;
  observed: number;
  expected: number;
  excess: number;
  probability: number;
  severity: 'low' | 'medium' | 'high';
  stage: 'short' | 'model';
  attributions: Attribution[];
  unexplained: number;
};

export type ReasonVerdict = {
  reason: string;
  historyWeeks: number;
  status: 'ok' | 'insufficient_history';
  spikes: Spike[];
};

export type Baseline = {
  expected: number;
  dispersion: number;
  stage: 'short' | 'model';
  /** Estimated extra contacts per overlapping event, from the model's event terms. */
  eventEffects: Map<string, number>;
};

const MIN_HISTORY = 8;
const MODEL_HISTORY = 26;
const SEASONAL_HISTORY = 104;
const TRAINING_WEEKS = 104;
const GAP_WEEKS = 2;
const REFIT_EVERY = 13;
const WEEKS_PER_YEAR = 52.1775;
const OUTLIER_RESIDUAL = 2.58;

/**
 * Evaluates weeks [from, to] (indexes into every series) for every reason; the series must
 * carry the history before `from` that the models train on.
 */
export function detectSpikes(
  series: { reason: string; counts: number[] }[],
  events: EventTerm[],
  range: { from: number; to: number },
  options: DetectOptions = DEFAULT_DETECT_OPTIONS,
): ReasonVerdict[] {
  const baselines = series.map(({ reason, counts }) =>
    baselinesFor(counts, applicableEvents(events, reason), range),
  );
  const verdicts: ReasonVerdict[] = series.map(({ reason, counts }) => {
    const historyWeeks = Math.max(0, range.to - firstContactWeek(counts));
    return {
      reason,
      historyWeeks,
      status: historyWeeks >= MIN_HISTORY ? 'ok' : 'insufficient_history',
      spikes: [],
    };
  });
  for (let week = range.from; week <= range.to; week++) {
    const tested = baselines.filter((b) => b.get(week)).length;
    if (tested === 0) continue;
    const candidates: { index: number; baseline: Baseline; probability: number }[] = [];
    series.forEach(({ counts }, index) => {
      const baseline = baselines[index]?.get(week);
      if (!baseline) return;
      const observed = counts[week] ?? 0;
      const excess = observed - baseline.expected;
      if (excess < options.minExcess || observed < options.minRatio * baseline.expected) return;
      const probability = upperTail(observed, baseline.expected, baseline.dispersion);
      candidates.push({ index, baseline, probability });
    });
    const { rejected, threshold } = benjaminiHochberg(candidates, tested, options.alpha);
    for (const { index, baseline, probability } of rejected) {
      const { reason, counts } = series[index] as { reason: string; counts: number[] };
      const observed = counts[week] ?? 0;
      const expected = baseline.expected;
      const excess = observed - expected;
      const overlapping = applicableEvents(events, reason).filter(
        (e) => (e.overlap[week] ?? 0) > 0,
      );
      const attributions = attribute(excess, overlapping, baseline.eventEffects);
      const explained = attributions.reduce((sum, a) => sum + a.contacts, 0);
      verdicts[index]?.spikes.push({
        reason,
        week,
        observed,
        expected: round(expected),
        excess: round(excess),
        probability,
        severity: severityOf(observed, expected, probability, threshold),
        stage: baseline.stage,
        attributions,
        unexplained: round(Math.max(0, excess - explained)),
      });
    }
  }
  return verdicts;
}

/**
 * The Benjamini–Hochberg step-up over the reasons tested in one week (those not among
 * `candidates` count as tested and not rejected): with `tested` = m, the k smallest
 * probabilities are rejected for the largest k with p(k) <= k·alpha/m. In a week with no
 * spike anywhere this keeps the chance of any false alert at alpha, as Bonferroni does; in a
 * week where several reasons rise together (a billing run, an outage) it lets the weaker
 * rises through, which is where low-volume reasons lost them before.
 */
function benjaminiHochberg<T extends { probability: number }>(
  candidates: T[],
  tested: number,
  alpha: number,
): { rejected: T[]; threshold: number } {
  const sorted = [...candidates].sort((a, b) => a.probability - b.probability);
  let k = 0;
  sorted.forEach((c, i) => {
    if (c.probability <= ((i + 1) * alpha) / tested) k = i + 1;
  });
  return { rejected: sorted.slice(0, k), threshold: (Math.max(k, 1) * alpha) / tested };
}

export function applicableEvents(events: EventTerm[], reason: string): EventTerm[] {
  return events.filter((e) => e.reasons.length === 0 || e.reasons.includes(reason));
}

function firstContactWeek(counts: number[]): number {
  const first = counts.findIndex((c) => c > 0);
  return first === -1 ? counts.length : first;
}

/** The event-free expected count of each week in range that has enough history. */
export function baselinesFor(
  counts: number[],
  events: EventTerm[],
  range: { from: number; to: number },
): Map<number, Baseline> {
  const baselines = new Map<number, Baseline>();
  const start = firstContactWeek(counts);
  let model: FittedModel | undefined;
  let modelFrom = -1;
  for (let week = range.from; week <= range.to; week++) {
    const history = week - start;
    if (history < MIN_HISTORY) continue;
    if (history < MODEL_HISTORY) {
      baselines.set(week, shortBaseline(counts, week, start));
      continue;
    }
    if (!model || week - modelFrom >= REFIT_EVERY) {
      model = fitModel(
        counts,
        events,
        Math.max(start, week - GAP_WEEKS - TRAINING_WEEKS),
        week - GAP_WEEKS,
        model,
      );
      modelFrom = week;
    }
    baselines.set(week, model.predict(week));
  }
  return baselines;
}

/** EARS C2: the mean of weeks t−9 … t−3, with a spread no smaller than Poisson's. */
function shortBaseline(counts: number[], week: number, start: number): Baseline {
  const window = counts.slice(Math.max(start, week - 9), week - GAP_WEEKS);
  const mean = window.reduce((a, b) => a + b, 0) / Math.max(window.length, 1);
  const expected = Math.max(mean, 0.5);
  const spread = Math.max(
    1.4826 * median(window.map((c) => Math.abs(c - median(window)))),
    Math.sqrt(expected),
  );
  return {
    expected,
    dispersion: Math.max(1, (spread * spread) / expected),
    stage: 'short',
    eventEffects: new Map(),
  };
}

type FittedModel = { predict(week: number): Baseline; beta: number[] };

/**
 * Fits the count model on weeks [from, to). Event terms enter only when the event overlapped
 * the training weeks; upward outliers not explained by an event are left out of a second fit.
 */
function fitModel(
  counts: number[],
  events: EventTerm[],
  from: number,
  to: number,
  previous: FittedModel | undefined,
): FittedModel {
  const length = to - from;
  const seasonal = length >= SEASONAL_HISTORY;
  const seen = events.filter((e) => e.overlap.slice(from, to).some((v) => v > 0));
  const centre = to;
  const row = (week: number, withTrend: boolean) => {
    const t = (week - centre) / WEEKS_PER_YEAR;
    const angle = (2 * Math.PI * week) / WEEKS_PER_YEAR;
    return [
      1,
      ...(withTrend ? [t] : []),
      ...(seasonal ? [Math.sin(angle), Math.cos(angle)] : []),
      ...seen.map((e) => e.overlap[week] ?? 0),
    ];
  };
  const weeks = Array.from({ length }, (_, i) => from + i);
  const y = weeks.map((w) => counts[w] ?? 0);
  const design = (withTrend: boolean) => {
    const p = row(0, withTrend).length;
    const x = new Float64Array(length * p);
    weeks.forEach((w, i) => {
      x.set(row(w, withTrend), i * p);
    });
    return { x, p };
  };
  const withTrendDesign = design(true);

  let withTrend = true;
  // The previous block's model (same terms) predicts this window well enough to find its
  // outliers, which saves the unweighted fit; the first block fits unweighted first.
  const previousBeta = previous?.beta.length === withTrendDesign.p ? previous.beta : undefined;
  const unweighted = weeks.map(() => 1);
  const first = previousBeta
    ? { beta: previousBeta, mu: predictAll(withTrendDesign.x, withTrendDesign.p, previousBeta) }
    : fitPoissonGlm(withTrendDesign.x, withTrendDesign.p, y, unweighted);
  let dispersion = dispersionOf(y, first.mu, unweighted, withTrendDesign.p);
  // Farrington's reweighting: weeks far above the fit (past spikes) must not lift the baseline.
  const weights = y.map((v, i) => {
    const m = first.mu[i] ?? 1;
    return (v - m) / Math.sqrt(dispersion * m) > OUTLIER_RESIDUAL ? 0 : 1;
  });
  let fit = fitPoissonGlm(withTrendDesign.x, withTrendDesign.p, y, weights, first.beta);
  const p = withTrendDesign.p;
  const trendZ = Math.abs(
    (fit.beta[1] ?? 0) / Math.sqrt(dispersion * (fit.covariance[p + 1] ?? 1)),
  );
  if (trendZ < 2) {
    withTrend = false;
    const flat = design(false);
    // Starting from the trend fit without its trend term converges in a few steps.
    fit = fitPoissonGlm(
      flat.x,
      flat.p,
      y,
      weights,
      fit.beta.filter((_, i) => i !== 1),
    );
  }
  dispersion = dispersionOf(y, fit.mu, weights, fit.beta.length);

  const eventOffset = fit.beta.length - seen.length;
  const beta = fit.beta;
  const lastObserved = Math.max(...y.slice(-26), 1);
  return {
    beta,
    predict(week) {
      const features = row(week, withTrend);
      const eventFree = features.map((v, i) => (i >= eventOffset ? 0 : v));
      // A trend must not carry the baseline far beyond anything recently seen.
      const expected = Math.min(Math.max(Math.exp(dot(eventFree, beta)), 0.2), 3 * lastObserved);
      const eventEffects = new Map<string, number>();
      seen.forEach((e, i) => {
        const x = e.overlap[week] ?? 0;
        const delta = beta[eventOffset + i] ?? 0;
        if (x > 0 && delta > 0) eventEffects.set(e.eventId, expected * (Math.exp(delta * x) - 1));
      });
      return { expected, dispersion, stage: 'model', eventEffects };
    },
  };
}

function predictAll(x: Float64Array, p: number, beta: number[]): Float64Array {
  const mu = new Float64Array(x.length / p);
  for (let i = 0; i < mu.length; i++) {
    let eta = 0;
    for (let a = 0; a < p; a++) eta += (x[i * p + a] ?? 0) * (beta[a] ?? 0);
    mu[i] = Math.exp(Math.min(20, Math.max(-20, eta)));
  }
  return mu;
}

function dispersionOf(
  y: ArrayLike<number>,
  mu: ArrayLike<number>,
  weights: ArrayLike<number>,
  parameters: number,
): number {
  let sum = 0;
  let n = 0;
  for (let i = 0; i < y.length; i++) {
    if (!weights[i]) continue;
    const v = y[i] ?? 0;
    const m = mu[i] ?? 1;
    sum += ((v - m) * (v - m)) / Math.max(m, 1e-6);
    n++;
  }
  return Math.max(1, sum / Math.max(n - parameters, 1));
}

/** Splits the excess over overlapping events: by learned effect first, the rest by overlap. */
function attribute(
  excess: number,
  overlapping: EventTerm[],
  effects: Map<string, number>,
): Attribution[] {
  if (overlapping.length === 0) return [];
  const learned = overlapping.filter((e) => (effects.get(e.eventId) ?? 0) > 0);
  const learnedTotal = learned.reduce((sum, e) => sum + (effects.get(e.eventId) ?? 0), 0);
  const scale = learnedTotal > excess ? excess / learnedTotal : 1;
  const attributions: Attribution[] = learned.map((e) => {
    const contacts = (effects.get(e.eventId) ?? 0) * scale;
    return {
      eventId: e.eventId,
      title: e.title,
      kind: e.kind,
      contacts,
      share: 0,
      method: 'model',
    };
  });
  const unlearned = overlapping.filter((e) => !learned.includes(e));
  const rest = excess - learnedTotal * scale;
  // An event seen for the first time has no learned effect: it shares what is left equally.
  if (unlearned.length > 0 && rest > 0) {
    for (const e of unlearned) {
      const contacts = rest / unlearned.length;
      attributions.push({
        eventId: e.eventId,
        title: e.title,
        kind: e.kind,
        contacts,
        share: 0,
        method: 'overlap',
      });
    }
  }
  return attributions.map((a) => ({
    ...a,
    contacts: round(a.contacts),
    share: round(a.contacts / excess, 3),
  }));
}

function severityOf(observed: number, expected: number, probability: number, threshold: number) {
  if (observed >= 3 * expected || probability < threshold / 1000) return 'high' as const;
  if (observed >= 2 * expected || probability < threshold / 10) return 'medium' as const;
  return 'low' as const;
}

function median(values: number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;
