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
 * not, the new coefficient adds zero to each prediction, gain and update.
 */
function widened(run: Running, prior: number): Running {
  const { m } = run;
  const P = new Float64Array((m + 1) * (m + 1));
  for (let i = 0; i < m; i++) P.set(run.P.subarray(i * m, i * m + m), i * (m + 1));
  P[m * (m + 1) + m] = prior;
  const a = new Float64Array(m + 1);
  a.set(run.a);
  return {
    ...run,
    m: m + 1,
    a,
    P,
    errors: run.errors.slice(),
    squares: run.squares.slice(),
    logF: run.logF.slice(),
  };
}

/** Filters the weeks `from` ≤ t < `to` of y; `x` is row-major n × (m − 1). */
function advance(
  run: Running,
  y: ArrayLike<number>,
  x: ArrayLike<number>,
  q: number,
  from: number,
  to: number,
) {
  const { m, a, P } = run;
  const p = m - 1;
  const n = y.length;
  const z = new Float64Array(m);
  const pz = new Float64Array(m);
  for (let t = from; t < to; t++) {
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

/** The best q on the grid (concentrated likelihood). */
export function fitLocalLevel(y: ArrayLike<number>, x: ArrayLike<number>, p: number) {
  let best: LocalLevelFit | null = null;
  for (const { fit } of localLevelEvidence(y, x, p).weighed) {
    if (!best || fit.logLikelihood > best.logLikelihood) best = fit;
  }
  return best ?? filterLocalLevel(y, x, p, 0);
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
 * `localLevelEvidence` of the model, and of the model with a step after each of `weeks` (a
 * regressor 0 before the week, 1 from it; `stepped(week)` is that design, row-major
 * n × (p + 1)), the step's coefficient from N(0, `stepPrior`·σ²). Each stepped filter takes up
 * the model's own where the step begins, as the weeks before it filter alike; for steps in the
 * last weeks of a long history that is most of the arithmetic saved.
 */
export function localLevelEvidenceWithSteps(
  y: ArrayLike<number>,
  x: ArrayLike<number>,
  p: number,
  weeks: readonly number[],
  stepped: (week: number) => ArrayLike<number>,
  stepPrior: number,
): { model: Evidence; steps: Map<number, Evidence> } {
  const n = y.length;
  const order = [...new Set(weeks)].sort((a, b) => a - b);
  const designs = new Map(order.map((week) => [week, stepped(week)]));
  const fits = new Map<number, LocalLevelFit[]>(order.map((week) => [week, []]));
  const modelFits = Q_GRID.map((q) => {
    const run = started(p + 1, n, []);
    let t = 0;
    for (const week of order) {
      advance(run, y, x, q, t, week);
      t = week;
      const step = widened(run, stepPrior);
      advance(step, y, designs.get(week) ?? [], q, week, n);
      fits.get(week)?.push(finished(step, q));
    }
    advance(run, y, x, q, t, n);
    return finished(run, q);
  });
  return {
    model: evidenceOf(modelFits),
    steps: new Map(order.map((week) => [week, evidenceOf(fits.get(week) ?? [])])),
  };
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
