/**
 * A local-level model with regression effects, fitted by the Kalman filter (Durbin & Koopman,
 * "Time Series Analysis by State Space Methods", ch. 2 and 6):
 *   y_t = μ_t + x_t'β + ε_t,   ε_t ~ N(0, σ²)
 *   μ_{t+1} = μ_t + η_t,       η_t ~ N(0, q·σ²)
 * The state is (μ, β), β fixed over time; μ starts diffuse, each β diffuse or, where a prior
 * is given, from N(0, v·σ²) (a known part of the initial state, Durbin & Koopman ch. 5). A
 * missing y_t (NaN) gets the
 * prediction step only (Durbin & Koopman, ch. 4, missing observations): the level's variance
 * grows through a gap. σ² is concentrated out of the likelihood, q is chosen on a grid. The
 * observational estimate uses it on log weekly counts with seasonal, event and level-shift
 * regressors.
 */

const DIFFUSE = 1e6;
const Q_GRID = [0, 1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.03, 0.1, 0.3, 1];

export type LocalLevelFit = {
  /** Level-noise to observation-noise variance ratio. */
  q: number;
  sigma2: number;
  /** Filtered state after the last observation, and its covariance in units of σ². */
  state: Float64Array;
  covariance: Float64Array;
  /** Concentrated log-likelihood. */
  logLikelihood: number;
  /** One-step-ahead prediction errors in standard deviations (NaN while diffuse). */
  standardized: Float64Array;
  /** Observations that count in the likelihood (after the diffuse start). */
  effective: number;
  /** Per observation: v²/F and log F (NaN while a diffuse part of the state is pinned). */
  terms: { squares: Float64Array; logF: Float64Array };
};

/** Prior variances of the coefficients β_j in units of σ² (undefined: diffuse). */
export type CoefficientPriors = readonly (number | undefined)[];

/** The filter between two observations: its state, and the likelihood's terms so far. */
type Running = {
  m: number;
  a: Float64Array;
  P: Float64Array;
  sumSquares: number;
  sumLogF: number;
  counted: number;
  /** v/√F per observation (NaN while diffuse), scaled by σ once the filter ends. */
  errors: Float64Array;
  squares: Float64Array;
  logF: Float64Array;
};

function started(m: number, n: number, priors: CoefficientPriors): Running {
  const P = new Float64Array(m * m);
  P[0] = DIFFUSE;
  for (let j = 0; j < m - 1; j++) P[(j + 1) * m + j + 1] = priors[j] ?? DIFFUSE;
  return {
    m,
    a: new Float64Array(m),
    P,
    sumSquares: 0,
    sumLogF: 0,
    counted: 0,
    errors: new Float64Array(n).fill(Number.NaN),
    squares: new Float64Array(n).fill(Number.NaN),
    logF: new Float64Array(n).fill(Number.NaN),
  };
}

/**
 * The same filter with one more coefficient, from its prior (0, `prior`·σ²) and uncorrelated
 * with the rest. Exact for a regressor that is zero in every week filtered so far: until it is
 * not, the new coefficient adds zero to each prediction, gain and update. Takes over `run`'s
 * per-week arrays.
 */
function widened(run: Running, prior: number): Running {
  const { m } = run;
  const P = new Float64Array((m + 1) * (m + 1));
  for (let i = 0; i < m; i++) P.set(run.P.subarray(i * m, i * m + m), i * (m + 1));
  P[m * (m + 1) + m] = prior;
  const a = new Float64Array(m + 1);
  a.set(run.a);
  return { ...run, m: m + 1, a, P };
}

/** The states of a model's filters (one per q) before some weeks: a, P and the sums so far. */
type Checkpoints = { slots: Map<number, number>; stride: number; data: Float64Array };

function checkpoints(m: number, weeks: readonly number[]): Checkpoints {
  const slots = new Map([...new Set(weeks)].map((week, slot) => [week, slot]));
  const stride = m + m * m + 3;
  return { slots, stride, data: new Float64Array(Q_GRID.length * slots.size * stride) };
}

const offset = (kept: Checkpoints, i: number, slot: number) =>
  (i * kept.slots.size + slot) * kept.stride;

function keep(run: Running, at: number, into: Float64Array) {
  const { m } = run;
  into.set(run.a, at);
  into.set(run.P, at + m);
  into[at + m + m * m] = run.sumSquares;
  into[at + m + m * m + 1] = run.sumLogF;
  into[at + m + m * m + 2] = run.counted;
}

/** The i-th filter as it stood before week `t`, from its checkpoint and its finished run. */
function resumed(finished: Running, kept: Checkpoints, i: number, t: number): Running {
  const slot = kept.slots.get(t);
  if (slot === undefined) throw new Error(`no filter state kept before week ${t}`);
  const { m } = finished;
  const at = offset(kept, i, slot);
  const { data } = kept;
  const n = finished.errors.length;
  const prefix = (values: Float64Array) => {
    const out = new Float64Array(n).fill(Number.NaN);
    out.set(values.subarray(0, t));
    return out;
  };
  return {
    m,
    a: data.slice(at, at + m),
    P: data.slice(at + m, at + m + m * m),
    sumSquares: data[at + m + m * m] ?? 0,
    sumLogF: data[at + m + m * m + 1] ?? 0,
    counted: data[at + m + m * m + 2] ?? 0,
    errors: prefix(finished.errors),
    squares: prefix(finished.squares),
    logF: prefix(finished.logF),
  };
}

/**
 * Filters the weeks `from` ≤ t < `to` of y; `x` is row-major n × (m − 1). Keeps the state
 * before each week of `into` as the i-th filter's.
 */
function advance(
  run: Running,
  y: ArrayLike<number>,
  x: ArrayLike<number>,
  q: number,
  from: number,
  to: number,
  into?: { kept: Checkpoints; i: number },
) {
  const { m, a, P } = run;
  const p = m - 1;
  const n = y.length;
  const z = new Float64Array(m);
  const pz = new Float64Array(m);
  for (let t = from; t < to; t++) {
    const slot = into?.kept.slots.get(t);
    if (into && slot !== undefined) keep(run, offset(into.kept, into.i, slot), into.kept.data);
    if (Number.isNaN(y[t])) {
      if (t < n - 1) P[0] = (P[0] ?? 0) + q;
      continue;
    }
    z[0] = 1;
    for (let j = 0; j < p; j++) z[j + 1] = x[t * p + j] ?? 0;
    let prediction = 0;
    for (let i = 0; i < m; i++) prediction += (z[i] ?? 0) * (a[i] ?? 0);
    let f = 1;
    for (let i = 0; i < m; i++) {
      let s = 0;
      for (let j = 0; j < m; j++) s += (P[i * m + j] ?? 0) * (z[j] ?? 0);
      pz[i] = s;
      f += (z[i] ?? 0) * s;
    }
    const v = (y[t] ?? 0) - prediction;
    for (let i = 0; i < m; i++) a[i] = (a[i] ?? 0) + ((pz[i] ?? 0) * v) / f;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < m; j++) {
        P[i * m + j] = (P[i * m + j] ?? 0) - ((pz[i] ?? 0) * (pz[j] ?? 0)) / f;
      }
    }
    // An observation whose variance is still dominated by a diffuse part of the state only
    // pins that part down (the first ones; a regressor that starts later).
    if (f < DIFFUSE * 1e-3) {
      run.sumSquares += (v * v) / f;
      run.sumLogF += Math.log(f);
      run.counted++;
      run.errors[t] = v / Math.sqrt(f);
      run.squares[t] = (v * v) / f;
      run.logF[t] = Math.log(f);
    }
    if (t < n - 1) P[0] = (P[0] ?? 0) + q;
  }
}

function finished(run: Running, q: number): LocalLevelFit {
  const { counted } = run;
  const sigma2 = counted > 0 ? run.sumSquares / counted : Number.NaN;
  const standardized = run.errors.map((e) => e / Math.sqrt(sigma2));
  return {
    q,
    sigma2,
    state: run.a,
    covariance: run.P,
    logLikelihood: -0.5 * counted * Math.log(sigma2) - 0.5 * run.sumLogF,
    standardized,
    effective: counted,
    terms: { squares: run.squares, logF: run.logF },
  };
}

/** The filter for one q; `x` is row-major n × p. */
export function filterLocalLevel(
  y: ArrayLike<number>,
  x: ArrayLike<number>,
  p: number,
  q: number,
  priors: CoefficientPriors = [],
): LocalLevelFit {
  const run = started(p + 1, y.length, priors);
  advance(run, y, x, q, 0, y.length);
  return finished(run, q);
}

type Evidence = { weighed: { fit: LocalLevelFit; weight: number }[]; logEvidence: number };

/**
 * Every q on the grid with its posterior weight: a flat prior over the (log-spaced) grid, σ²
 * integrated out under its 1/σ² prior, which leaves the concentrated likelihood. The best q
 * alone understates how far the level may wander: its estimate piles up at 0 even when the
 * level does move (Shephard & Harvey 1990), and a forecast from q = 0 holds the level still.
 * With them, the model's log marginal likelihood over the grid (up to a constant that depends
 * only on the observations counted): two models that count the same observations compare by
 * the difference, a log Bayes factor (Kass & Raftery 1995).
 */
export function localLevelEvidence(
  y: ArrayLike<number>,
  x: ArrayLike<number>,
  p: number,
  priors: CoefficientPriors = [],
): Evidence {
  return evidenceOf(Q_GRID.map((q) => filterLocalLevel(y, x, p, q, priors)));
}

/**
 * A model filtered at every q on the grid: its evidence, its best q's fit, and its filters'
 * states before the kept weeks, from which a model with one more step can go on.
 */
export type LocalLevelModel = {
  evidence: Evidence;
  /** The best q (concentrated likelihood). */
  fit: LocalLevelFit;
  y: ArrayLike<number>;
  /** The i-th q's filter as it stood before week t. */
  before: (i: number, t: number) => Running;
};

function modelOf(y: ArrayLike<number>, runs: Running[], before: LocalLevelModel['before']) {
  const fits = runs.map((run, i) => finished(run, Q_GRID[i] ?? 0));
  const evidence = evidenceOf(fits);
  let best: LocalLevelFit | null = null;
  for (const { fit } of evidence.weighed) {
    if (!best || fit.logLikelihood > best.logLikelihood) best = fit;
  }
  return { evidence, fit: best ?? (fits[0] as LocalLevelFit), y, before };
}

/**
 * `localLevelEvidence` of the model, every coefficient diffuse, keeping its filters' states
 * before the weeks `keep` (for `withStep`).
 */
export function fitLocalLevelModel(
  y: ArrayLike<number>,
  x: ArrayLike<number>,
  p: number,
  keep: readonly number[],
): LocalLevelModel {
  const n = y.length;
  const kept = checkpoints(p + 1, keep);
  const runs = Q_GRID.map((q, i) => {
    const run = started(p + 1, n, []);
    advance(run, y, x, q, 0, n, { kept, i });
    return run;
  });
  return modelOf(y, runs, (i, t) => resumed(runs[i] as Running, kept, i, t));
}

/**
 * The model with a step from `week` (a regressor 0 before the week, 1 from it; `x` is the
 * design with it, row-major n × (p + 1)), its coefficient from N(0, `prior`·σ²) or, without
 * one, diffuse; keeping its filters' states before the weeks `keep`, of which those before the
 * step are the model's own, widened. Each of its filters takes up the model's own where the
 * step begins, as the weeks before it filter alike: exactly what filtering from the first
 * week gets, on the weeks after the step only.
 */
export function withStep(
  model: LocalLevelModel,
  week: number,
  x: ArrayLike<number>,
  prior: number | undefined,
  keep: readonly number[],
): LocalLevelModel {
  const { y } = model;
  const n = y.length;
  const kept = checkpoints(
    model.fit.state.length + 1,
    keep.filter((t) => t >= week),
  );
  const runs = Q_GRID.map((q, i) => {
    const run = widened(model.before(i, week), prior ?? DIFFUSE);
    advance(run, y, x, q, week, n, { kept, i });
    return run;
  });
  return modelOf(y, runs, (i, t) =>
    t < week
      ? widened(model.before(i, t), prior ?? DIFFUSE)
      : resumed(runs[i] as Running, kept, i, t),
  );
}

function evidenceOf(all: LocalLevelFit[]): Evidence {
  const fits = all.filter((fit) => Number.isFinite(fit.logLikelihood));
  const top = Math.max(...fits.map((fit) => fit.logLikelihood));
  const odds = fits.map((fit) => Math.exp(fit.logLikelihood - top));
  const sum = odds.reduce((a, b) => a + b, 0);
  return {
    weighed: fits.map((fit, i) => ({ fit, weight: (odds[i] ?? 0) / sum })),
    logEvidence: top + Math.log(sum / Q_GRID.length),
  };
}

/**
 * The likelihood-ratio statistic of `richer` against `simpler` over the observations both
 * count, σ² concentrated out of each: how much better the richer model predicts.
 */
export function likelihoodRatio(simpler: LocalLevelFit, richer: LocalLevelFit): number {
  let count = 0;
  let s0 = 0;
  let s1 = 0;
  let logF = 0;
  const a = simpler.terms;
  const b = richer.terms;
  for (let t = 0; t < a.squares.length; t++) {
    const x0 = a.squares[t] ?? Number.NaN;
    const x1 = b.squares[t] ?? Number.NaN;
    if (Number.isNaN(x0) || Number.isNaN(x1)) continue;
    count++;
    s0 += x0;
    s1 += x1;
    logF += (a.logF[t] ?? 0) - (b.logF[t] ?? 0);
  }
  return count > 0 && s1 > 0 ? count * Math.log(s0 / s1) + logF : 0;
}

/** Lower Cholesky factor of a symmetric positive semi-definite m × m matrix. */
export function cholesky(matrix: ArrayLike<number>, m: number): Float64Array {
  const l = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = matrix[i * m + j] ?? 0;
      for (let k = 0; k < j; k++) sum -= (l[i * m + k] ?? 0) * (l[j * m + k] ?? 0);
      l[i * m + j] =
        i === j ? Math.sqrt(Math.max(sum, 0)) : sum / Math.max(l[j * m + j] ?? 0, 1e-12);
    }
  }
  return l;
}
