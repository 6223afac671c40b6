/**
 * A weighted Poisson log-linear model fitted by iteratively reweighted least squares: the
 * count model behind spike detection (overdispersion is estimated afterwards, as Farrington
 * and Noufaily do). Detection fits thousands of these small models, so the design matrix is
 * one flat Float64Array (row-major, n × p) and nothing is allocated inside the loop.
 */

export type GlmFit = {
  beta: number[];
  /** (XᵀWX)⁻¹ at convergence: the covariance of beta under the Poisson model. */
  covariance: Float64Array;
  mu: Float64Array;
};

const MAX_ITERATIONS = 30;
const TOLERANCE = 1e-4;
// Keeps the normal equations solvable when a column is (nearly) constant in the window.
const RIDGE = 1e-6;

export function fitPoissonGlm(
  x: Float64Array,
  p: number,
  y: ArrayLike<number>,
  weights: ArrayLike<number>,
  start?: number[],
): GlmFit {
  const n = y.length;
  let weightSum = 0;
  let weighted = 0;
  for (let i = 0; i < n; i++) {
    weightSum += weights[i] ?? 0;
    weighted += (weights[i] ?? 0) * (y[i] ?? 0);
  }
  const beta = new Float64Array(p);
  if (start?.length === p) beta.set(start);
  else beta[0] = Math.log(weighted / Math.max(weightSum, 1e-9) + 0.5);

  const mu = new Float64Array(n);
  const xtwx = new Float64Array(p * p);
  const xtwz = new Float64Array(p);
  const covariance = new Float64Array(p * p);
  const factor = new Float64Array(p * p);
  const next = new Float64Array(p);
  for (let iteration = 0; iteration < MAX_ITERATIONS; iteration++) {
    xtwx.fill(0);
    xtwz.fill(0);
    for (let i = 0; i < n; i++) {
      const offset = i * p;
      let eta = 0;
      for (let a = 0; a < p; a++) eta += (x[offset + a] ?? 0) * (beta[a] ?? 0);
      const m = Math.exp(Math.min(20, Math.max(-20, eta)));
      mu[i] = m;
      const w = (weights[i] ?? 0) * m;
      if (w === 0) continue;
      const z = eta + ((y[i] ?? 0) - m) / m;
      for (let a = 0; a < p; a++) {
        const wa = w * (x[offset + a] ?? 0);
        xtwz[a] = (xtwz[a] ?? 0) + wa * z;
        for (let b = 0; b <= a; b++)
          xtwx[a * p + b] = (xtwx[a * p + b] ?? 0) + wa * (x[offset + b] ?? 0);
      }
    }
    for (let a = 0; a < p; a++) {
      xtwx[a * p + a] = (xtwx[a * p + a] ?? 0) + RIDGE;
      for (let b = 0; b < a; b++) xtwx[b * p + a] = xtwx[a * p + b] ?? 0;
    }
    invertSymmetric(xtwx, p, factor, covariance);
    let change = 0;
    for (let a = 0; a < p; a++) {
      let sum = 0;
      for (let b = 0; b < p; b++) sum += (covariance[a * p + b] ?? 0) * (xtwz[b] ?? 0);
      next[a] = sum;
      change = Math.max(change, Math.abs(sum - (beta[a] ?? 0)));
    }
    beta.set(next);
    if (change < TOLERANCE) break;
  }
  for (let i = 0; i < n; i++) {
    let eta = 0;
    for (let a = 0; a < p; a++) eta += (x[i * p + a] ?? 0) * (beta[a] ?? 0);
    mu[i] = Math.exp(Math.min(20, Math.max(-20, eta)));
  }
  return { beta: Array.from(beta), covariance, mu };
}

/** xᵀβ for one row of features. */
export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i] ?? 0) * (b[i] ?? 0);
  return sum;
}

/** Inverse of a symmetric positive-definite p × p matrix through its Cholesky factor. */
function invertSymmetric(m: Float64Array, p: number, l: Float64Array, inverse: Float64Array): void {
  l.fill(0);
  for (let i = 0; i < p; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = m[i * p + j] ?? 0;
      for (let k = 0; k < j; k++) sum -= (l[i * p + k] ?? 0) * (l[j * p + k] ?? 0);
      l[i * p + j] = i === j ? Math.sqrt(Math.max(sum, 1e-12)) : sum / (l[j * p + j] ?? 1);
    }
  }
  const column = new Float64Array(p);
  for (let col = 0; col < p; col++) {
    for (let i = 0; i < p; i++) {
      let sum = i === col ? 1 : 0;
      for (let k = 0; k < i; k++) sum -= (l[i * p + k] ?? 0) * (column[k] ?? 0);
      column[i] = sum / (l[i * p + i] ?? 1);
    }
    for (let i = p - 1; i >= 0; i--) {
      let sum = column[i] ?? 0;
      for (let k = i + 1; k < p; k++) sum -= (l[k * p + i] ?? 0) * (inverse[k * p + col] ?? 0);
      inverse[i * p + col] = sum / (l[i * p + i] ?? 1);
    }
  }
}
