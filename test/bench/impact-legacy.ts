import gamma from '@stdlib/random-base-gamma';
import poisson from '@stdlib/random-base-poisson';
import uniform from '@stdlib/random-base-uniform';
import { dot, fitPoissonGlm } from './poisson-glm';

/**
 * The observational estimator forestall had before (kept here as the bench's naive method):
 * a count model fitted on the weeks before the campaign (intercept, trend and the overlap of
 * each week with the linked event's windows, so the spike the event usually brings is part of
 * the counterfactual) predicts the window's contacts had nobody been told; prevented is that
 * prediction minus what was observed. Its interval comes from simulation: coefficients drawn
 * from their estimated distribution, then counts from an overdispersed Poisson around them.
 */

type LegacyInput = {
  /** Weekly contacts before the campaign, oldest first. */
  history: number[];
  /** Overlap (0–1) of each history week with the event's windows, aligned with `history`. */
  historyEventOverlap: number[];
  /** Observed weekly contacts in the measurement window, and those weeks' event overlap. */
  window: { observed: number[]; eventOverlap: number[] };
  draws?: number;
  seed?: number;
};

type LegacyEstimate =
  | {
      status: 'ok';
      method: 'observational';
      expected: number;
      observed: number;
      prevented: { estimate: number; low: number; high: number };
    }
  | { status: 'insufficient_data'; reason: string };

const MIN_WEEKS = 26;
const P = 3;

const row = (week: number, overlap: number) => [1, week / 52, overlap];

export function legacyObservational(input: LegacyInput): LegacyEstimate {
  const n = input.history.length;
  if (n < MIN_WEEKS) {
    return { status: 'insufficient_data', reason: `needs ${MIN_WEEKS} weeks of history, has ${n}` };
  }
  if (!input.historyEventOverlap.some((o) => o > 0)) {
    return {
      status: 'insufficient_data',
      reason: 'no earlier occurrence of the event in the history to learn its spike from',
    };
  }
  const x = new Float64Array(n * P);
  for (let t = 0; t < n; t++) x.set(row(t, input.historyEventOverlap[t] ?? 0), t * P);
  const fit = fitPoissonGlm(x, P, input.history, new Float64Array(n).fill(1));
  let pearson = 0;
  for (let t = 0; t < n; t++) {
    const mu = fit.mu[t] ?? 0;
    pearson += ((input.history[t] ?? 0) - mu) ** 2 / Math.max(mu, 1e-9);
  }
  const dispersion = Math.max(1, pearson / (n - P));

  const windowRows = input.window.observed.map((_, i) =>
    row(n + i, input.window.eventOverlap[i] ?? 0),
  );
  const observed = input.window.observed.reduce((a, b) => a + b, 0);
  const expected = windowRows.reduce((sum, r) => sum + Math.exp(dot(r, fit.beta)), 0);

  const draws = input.draws ?? 2_000;
  const seed = input.seed ?? 1;
  const u = uniform.factory(0, 1, { seed });
  const gammaDraw = gamma.factory({ seed: seed + 1 });
  const poissonDraw = poisson.factory({ seed: seed + 2 });
  const standardNormal = () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
  const chol = cholesky(fit.covariance, P, dispersion);
  const simulated: number[] = [];
  for (let d = 0; d < draws; d++) {
    const z = Array.from({ length: P }, standardNormal);
    const beta = fit.beta.map((b, i) => {
      let shift = 0;
      for (let j = 0; j <= i; j++) shift += (chol[i * P + j] ?? 0) * (z[j] ?? 0);
      return b + shift;
    });
    let total = 0;
    for (const r of windowRows) {
      const mu = Math.exp(dot(r, beta));
      // Variance dispersion·mu: a gamma-mixed Poisson (negative binomial) when dispersion > 1.
      const rate = dispersion > 1 ? gammaDraw(mu / (dispersion - 1), 1 / (dispersion - 1)) : mu;
      total += poissonDraw(rate);
    }
    simulated.push(total - observed);
  }
  simulated.sort((a, b) => a - b);
  const quantile = (q: number) => simulated[Math.min(draws - 1, Math.floor(q * draws))] ?? 0;
  return {
    status: 'ok',
    method: 'observational',
    expected,
    observed,
    prevented: { estimate: expected - observed, low: quantile(0.025), high: quantile(0.975) },
  };
}

/** Lower Cholesky factor of scale·covariance (p × p, row-major). */
function cholesky(covariance: Float64Array, p: number, scale: number): Float64Array {
  const l = new Float64Array(p * p);
  for (let i = 0; i < p; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = scale * (covariance[i * p + j] ?? 0);
      for (let k = 0; k < j; k++) sum -= (l[i * p + k] ?? 0) * (l[j * p + k] ?? 0);
      l[i * p + j] =
        i === j ? Math.sqrt(Math.max(sum, 0)) : sum / Math.max(l[j * p + j] ?? 0, 1e-12);
    }
  }
  return l;
}
