import gamma from '@stdlib/random-base-gamma';
import normal from '@stdlib/random-base-normal';
import {
  cholesky,
  fitLocalLevelModel,
  type LocalLevelFit,
  type LocalLevelModel,
  likelihoodRatio,
  withStep,
} from './local-level';
import { historyProblem, observedWeeks, type WeekCount } from './missing-weeks';

/**
 * Prevented contacts without a holdout (DESIGN.md section 6), always labelled observational:
 * what the weeks before the campaign predict for its window, minus what was observed.
 *
 * The weekly counts (log(count + 1)) follow a local level (Kalman filter, so the level moves
 * as the series does), a yearly season (Fourier terms, from a year of history on), the linked
 * event's usual effect (the overlap of each week with its windows), and level shifts found in
 * the history (a step wherever one improves the fit beyond chance). The counterfactual for
 * the window comes from simulation: the state drawn from its filtered distribution, the level
 * walking on, the noise of each week, σ² from its own sampling distribution; and, since the
 * history cannot pin them down, over the level's pace (q) and over a shift in the recent
 * weeks too small to pass the search, each as likely as the history makes it. Partial weeks
 * count only the share of their contacts that falls inside the window (hour-of-week profile),
 * so days before the campaign's start never count.
 *
 * No number when the model cannot be trusted: too little history, an event whose effect the
 * history never showed, weeks before the campaign it predicted poorly (a break just before the
 * start), or the same weeks of past years it fitted poorly (a season it cannot represent).
 */

export type ObservationalInput = {
  /** Monday (YYYY-MM-DD) of the first history week; weeks follow one another. */
  firstWeek: string;
  /** Whole weeks of contacts before the campaign's start week, oldest first; null for a week
   *  in which the workspace received no ticket at all (missing, not zero). */
  history: WeekCount[];
  /** Overlap (0–1) of each week with the linked event's windows, history then window weeks. */
  eventOverlap?: number[];
  /** The window's weeks (from the campaign's start week): the share of each week's contacts
   *  inside the window, from the hour-of-week profile (1 for whole weeks). */
  windowShares: number[];
  /** Contacts observed in the window (from the campaign's start to its window's end). */
  observed: number;
  draws?: number;
  seed?: number;
};

export type ObservationalEstimate =
  | {
      status: 'ok';
      method: 'observational';
      expected: number;
      observed: number;
      prevented: { estimate: number; low: number; high: number };
      fit: { weeks: number; level_shifts: number; seasonal: boolean };
    }
  | { status: 'insufficient_data'; reason: string };

/** Draws an estimate takes unless told otherwise: what the app and its accuracy bench use. */
export const DEFAULT_DRAWS = 2_000;
export const MIN_HISTORY_WEEKS = 52;
export const historyTooShort = (weeks: number) =>
  `needs ${MIN_HISTORY_WEEKS} weeks of contacts before the campaign (a year, to learn the ` +
  `season), has ${weeks}`;
const MAX_HISTORY_WEEKS = 156;
const MAX_SHIFTS = 2;
/** χ²(1) at about 0.05 / 150 candidate weeks. */
const SHIFT_THRESHOLD = 13;
const RECENT_WEEKS = 26;
/** Prior odds of a level shift in any one week: about one a year. */
const SHIFT_ODDS_PER_WEEK = 1 / 52;
/** Prior sd of a recent shift's size on the log scale: ±50% is a large change of volume. */
const SHIFT_PRIOR_SD = 0.4;
const DAY_MS = 86_400_000;

function seasonalColumns(firstWeek: string, weeks: number, harmonics: number): number[][] {
  const start = Date.parse(`${firstWeek}T00:00:00Z`);
  return Array.from({ length: weeks }, (_, t) => {
    const middle = start + (t * 7 + 3.5) * DAY_MS;
    const year = new Date(middle).getUTCFullYear();
    const angle = (2 * Math.PI * (middle - Date.UTC(year, 0, 1))) / (365.25 * DAY_MS);
    return Array.from({ length: harmonics }, (_, k) => [
      Math.sin((k + 1) * angle),
      Math.cos((k + 1) * angle),
    ]).flat();
  });
}

type Design = { columns: number[][]; p: number };

const design = (rows: number[][]): Design => ({ columns: rows, p: rows[0]?.length ?? 0 });
const flat = (d: Design, n: number) => {
  const x = new Float64Array(n * d.p);
  for (let t = 0; t < n; t++) x.set(d.columns[t] ?? [], t * d.p);
  return x;
};
const withColumn = (d: Design, column: (t: number) => number): Design => ({
  columns: d.columns.map((row, t) => [...row, column(t)]),
  p: d.p + 1,
});

export function estimateObservational(input: ObservationalInput): ObservationalEstimate {
  const all = input.history.slice(-MAX_HISTORY_WEEKS);
  const skipped = input.history.length - all.length;
  const n = all.length;
  const horizon = input.windowShares.length;
  const total = n + horizon;
  const firstWeek = new Date(Date.parse(`${input.firstWeek}T00:00:00Z`) + skipped * 7 * DAY_MS)
    .toISOString()
    .slice(0, 10);
  const unusable = historyProblem(firstWeek, all, MIN_HISTORY_WEEKS, historyTooShort);
  if (unusable) return { status: 'insufficient_data', reason: unusable };
  const counts = new Set(all.filter((count) => count !== null));
  if (counts.size === 1) {
    // The fit would learn no noise at all, and its interval would be a point.
    return {
      status: 'insufficient_data',
      reason:
        `the target reasons had ${[...counts][0]} contacts every week before the campaign: how ` +
        'much they vary by chance cannot be learned from them',
    };
  }
  const harmonics = n >= 104 ? 4 : 2;
  let columns = design(seasonalColumns(firstWeek, total, harmonics));
  const overlap = (input.eventOverlap ?? []).slice(skipped);
  const eventInWindow = overlap.slice(n, total).some((o) => o > 0);
  if (overlap.slice(0, n).some((o) => o > 0)) {
    columns = withColumn(columns, (t) => overlap[t] ?? 0);
  } else if (eventInWindow) {
    return {
      status: 'insufficient_data',
      reason: 'the linked event never happened in the history: its usual effect is unknown',
    };
  }
  // A missing week is NaN: the filter predicts through it without an update.
  const y = all.map((count) => (count === null ? Number.NaN : Math.log(count + 1)));
  // The filters keep their states where later models take them up: the search's candidates
  // and the recent shifts of the counterfactual.
  const recent = recentWeeks(n);
  const searched = Array.from({ length: n - FIRST_SHIFT_WEEK }, (_, i) => FIRST_SHIFT_WEEK + i);
  let fitted = fitLocalLevelModel(y, flat(columns, n), columns.p, searched);
  const shiftWeeks: number[] = [];
  while (shiftWeeks.length < MAX_SHIFTS) {
    const found = bestShift(columns, fitted);
    if (!found) break;
    columns = found.columns;
    shiftWeeks.push(found.week);
    // The shift found is filtered again, keeping states: keeping them in every candidate, on
    // the chance that it wins, costs more than filtering the one that does twice.
    const next = shiftWeeks.length < MAX_SHIFTS ? shiftCandidates(found.fit) : [];
    fitted = withStep(fitted, found.week, flat(columns, n), undefined, [...next, ...recent]);
  }
  const problem = poorFit(fitted.fit, n);
  if (problem) return { status: 'insufficient_data', reason: problem };

  const wanted = input.draws ?? DEFAULT_DRAWS;
  const seed = input.seed ?? 1;
  // One stream for every model: a generator costs more to make than most models' draws.
  const random = {
    standard: normal.factory(0, 1, { seed }),
    chiSquare: gamma.factory({ seed: seed + 1 }),
  };
  const draws: number[] = [];
  let cumulative = 0;
  for (const model of counterfactualModels(columns, fitted, shiftWeeks)) {
    // Each model gets its share of the draws (rounded so that they add up to `wanted`).
    const count = Math.round(cumulative + model.weight * wanted) - Math.round(cumulative);
    cumulative += model.weight * wanted;
    if (count <= 0) continue;
    draws.push(...simulateWindow(model.fit, model.columns, n, input.windowShares, count, random));
  }
  const expected = draws.reduce((sum, d) => sum + d, 0) / draws.length;
  const prevented = draws.map((d) => d - input.observed).sort((a, b) => a - b);
  const quantile = (q: number) =>
    prevented[Math.min(prevented.length - 1, Math.floor(q * prevented.length))] ?? 0;
  return {
    status: 'ok',
    method: 'observational',
    expected,
    observed: input.observed,
    prevented: { estimate: expected - input.observed, low: quantile(0.025), high: quantile(0.975) },
    fit: { weeks: observedWeeks(all), level_shifts: shiftWeeks.length, seasonal: harmonics > 0 },
  };
}

/** A step needs weeks on both sides to be told from noise. */
const FIRST_SHIFT_WEEK = 8;

const recentWeeks = (n: number) =>
  Array.from({ length: RECENT_WEEKS }, (_, i) => n - RECENT_WEEKS + i);

/** The weeks after which the one-step errors run furthest to one side. */
function shiftCandidates(fit: LocalLevelFit): number[] {
  const errors = fit.standardized;
  const n = errors.length;
  const candidates: { week: number; drift: number }[] = [];
  for (let week = FIRST_SHIFT_WEEK; week <= n - 3; week++) {
    const run = Array.from(errors.slice(week, week + 8)).filter(Number.isFinite);
    if (run.length < 3) continue;
    const drift = Math.abs(run.reduce((sum, e) => sum + e, 0)) / Math.sqrt(run.length);
    candidates.push({ week, drift });
  }
  candidates.sort((a, b) => b.drift - a.drift);
  return candidates.slice(0, 5).map(({ week }) => week);
}

/** The level shift among the candidates that improves the fit most, if it does beyond chance. */
function bestShift(columns: Design, model: LocalLevelModel) {
  const { fit } = model;
  const n = fit.standardized.length;
  let best: { columns: Design; fit: LocalLevelFit; statistic: number; week: number } | null = null;
  for (const week of shiftCandidates(fit)) {
    const stepped = withColumn(columns, (t) => (t >= week ? 1 : 0));
    // Each model with its own level noise: a large one could otherwise pass for the step.
    const steppedFit = withStep(model, week, flat(stepped, n), undefined, []).fit;
    const statistic = likelihoodRatio(fit, steppedFit);
    if (statistic > SHIFT_THRESHOLD && (!best || statistic > best.statistic)) {
      best = { columns: stepped, fit: steppedFit, statistic, week };
    }
  }
  return best;
}

/**
 * The models the window's counterfactual is drawn from, with their posterior weights: the
 * fitted one, and the same with a level shift after one of the last RECENT_WEEKS weeks. A
 * shift that recent is often too small, on too few weeks, to pass the search's threshold, yet
 * it moves the level the window starts from; left out, a drop just before the campaign reads
 * as contacts prevented. Each shift's size has a normal prior (sd SHIFT_PRIOR_SD on the log
 * scale, as a multiple of the fitted σ² so that σ² still integrates out) that the filter
 * integrates out, and each model's marginal likelihood over the q grid gives its Bayes factor
 * against the fitted one (Kass & Raftery 1995, a normal prior on the added coefficient), with
 * prior odds of about one shift a year; the draws spread over every (model, q) by its
 * posterior. The BIC approximation this replaced (Raftery 1995) left the shift's size diffuse,
 * so the first week after the shift only pinned the size down and never counted as evidence:
 * a quarter of the evidence for a shift 4 weeks before the campaign.
 */
function counterfactualModels(
  columns: Design,
  fitted: LocalLevelModel,
  shiftWeeks: number[],
): { columns: Design; fit: LocalLevelFit; weight: number }[] {
  const n = fitted.y.length;
  const weeks = recentWeeks(n).filter((week) => week >= 0 && !shiftWeeks.includes(week));
  const prior = (SHIFT_PRIOR_SD * SHIFT_PRIOR_SD) / fitted.fit.sigma2;
  const { evidence } = fitted;
  const models = [{ columns, logOdds: evidence.logEvidence, weighed: evidence.weighed }];
  for (const week of weeks) {
    const stepped = withColumn(columns, (t) => (t >= week ? 1 : 0));
    const { evidence } = withStep(fitted, week, flat(stepped, n), prior, []);
    models.push({
      columns: stepped,
      logOdds: Math.log(SHIFT_ODDS_PER_WEEK) + evidence.logEvidence,
      weighed: evidence.weighed,
    });
  }
  const top = Math.max(...models.map((model) => model.logOdds));
  const odds = models.map((model) => Math.exp(model.logOdds - top));
  const total = odds.reduce((sum, o) => sum + o, 0);
  return models.flatMap((model, i) =>
    model.weighed.map(({ fit, weight }) => ({
      columns: model.columns,
      fit,
      weight: (weight * (odds[i] ?? 0)) / total,
    })),
  );
}

/** Why the model should not be trusted, or null. */
function poorFit(fit: LocalLevelFit, n: number): string | null {
  const errors = Array.from(fit.standardized.slice(n - RECENT_WEEKS)).filter(Number.isFinite);
  const meanSquare = errors.reduce((sum, e) => sum + e * e, 0) / Math.max(1, errors.length);
  if (meanSquare > 2) {
    return (
      `the model predicted the ${RECENT_WEEKS} weeks before the campaign poorly (mean ` +
      `squared standardised error ${meanSquare.toFixed(1)}, expected about 1)`
    );
  }
  const recent = errors.slice(-4);
  if (recent.some((e) => Math.abs(e) > 3.5)) {
    return (
      'the series broke in the last 4 weeks before the campaign: a new level cannot be ' +
      'told from the campaign’s effect yet'
    );
  }
  // The same weeks of earlier years: a season the model cannot follow shows there.
  for (const yearsBack of [1, 2]) {
    const at = n - 52 * yearsBack;
    const around = Array.from(fit.standardized.slice(Math.max(0, at - 1), at + 5)).filter(
      Number.isFinite,
    );
    if (around.length >= 4) {
      const ms = around.reduce((sum, e) => sum + e * e, 0) / around.length;
      if (ms > 4) {
        return (
          `the model fitted the same weeks ${yearsBack} year(s) earlier poorly (mean ` +
          `squared standardised error ${ms.toFixed(1)}): a season it cannot represent`
        );
      }
    }
  }
  return null;
}

type RandomStream = { standard: () => number; chiSquare: (shape: number, rate: number) => number };

/** Draws of the window's counterfactual contacts. */
function simulateWindow(
  fit: LocalLevelFit,
  columns: Design,
  n: number,
  shares: number[],
  draws: number,
  { standard, chiSquare }: RandomStream,
): number[] {
  const m = columns.p + 1;
  const factor = cholesky(fit.covariance, m);
  const dof = Math.max(1, fit.effective);
  const out: number[] = [];
  const z = new Float64Array(m);
  const state = new Float64Array(m);
  for (let d = 0; d < draws; d++) {
    // σ² from its scaled-χ² sampling distribution, the state from its filtered one.
    const sigma2 = (fit.sigma2 * dof) / (2 * chiSquare(dof / 2, 1));
    const scale = Math.sqrt(sigma2);
    for (let i = 0; i < m; i++) z[i] = standard();
    for (let i = 0; i < m; i++) {
      let shift = 0;
      for (let j = 0; j <= i; j++) shift += (factor[i * m + j] ?? 0) * (z[j] ?? 0);
      state[i] = (fit.state[i] ?? 0) + scale * shift;
    }
    let level = state[0] ?? 0;
    let total = 0;
    for (let h = 0; h < shares.length; h++) {
      level += scale * Math.sqrt(fit.q) * standard();
      const row = columns.columns[n + h] ?? [];
      let mean = level;
      for (let j = 0; j < columns.p; j++) mean += (row[j] ?? 0) * (state[j + 1] ?? 0);
      const count = Math.max(0, Math.exp(mean + scale * standard()) - 1);
      total += count * (shares[h] ?? 0);
    }
    out.push(total);
  }
  return out;
}
