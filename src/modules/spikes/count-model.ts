/**
 * A Poisson log-linear model with a ridge penalty per coefficient, fitted by iteratively
 * reweighted least squares over sparse rows: the count model behind spike detection.
 * Seasonal factor levels and event terms are mostly zero in a row, so each row lists only its
 * non-zero features. The penalty (a p × p matrix Λ added to XᵀWX) shrinks what has little
 * data behind it, as a random effect would: seasonal levels towards their neighbours and the
 * mean, event effects towards none. Overdispersion is estimated
 * afterwards (quasi-Poisson), as Farrington and Noufaily do.
 */

export type SparseRow = { index: number[]; value: number[] };

export type CountFit = {
  beta: Float64Array;
  /** (XᵀWX + Λ)⁻¹ at convergence, row-major p × p. */
  covariance: Float64Array;
  mu: Float64Array;
  /** Effective number of parameters (trace of the hat matrix). */
  parameters: number;
};

const MAX_ITERATIONS = 25;
// Newton's steps shrink quadratically: after a step under 1e-3 (log scale) the coefficients
// are within about 1e-6 of the optimum, far below what a verdict can tell apart.
const TOLERANCE = 1e-3;

export function fitCountModel(
  rows: SparseRow[],
  y: ArrayLike<number>,
  weights: ArrayLike<number>,
  penalty: Float64Array,
  p: number,
  start?: Float64Array,
  /** Without it, `covariance` and `parameters` are left out (they cost a p × p inverse). */
  withCovariance = true,
): CountFit {
  const n = rows.length;
  const beta = new Float64Array(p);
  if (start && start.length === p) beta.set(start);
  else {
    let total = 0;
    let weightSum = 0;
    for (let i = 0; i < n; i++) {
      total += (weights[i] ?? 0) * (y[i] ?? 0);
      weightSum += weights[i] ?? 0;
    }
    beta[0] = Math.log(total / Math.max(weightSum, 1e-9) + 0.1);
  }
  const xtwx = scratch(0, p * p);
  const xtwz = new Float64Array(p);
  const factor = scratch(1, p * p);
  const next = new Float64Array(p);
  const mu = new Float64Array(n);
  for (let iteration = 0; iteration < MAX_ITERATIONS; iteration++) {
    // Only the lower triangle: the Cholesky factor reads nothing else. Row indices ascend, so
    // pair (a, b ≤ a) lands there; each cell still sums its rows in order.
    for (let a = 0; a < p; a++) {
      xtwx.fill(0, a * p, a * p + a + 1);
      xtwz[a] = 0;
    }
    for (let i = 0; i < n; i++) {
      const row = rows[i];
      if (!row) continue;
      const eta = linear(row, beta);
      const m = Math.exp(eta);
      mu[i] = m;
      const w = (weights[i] ?? 0) * m;
      if (w === 0) continue;
      const z = eta + ((y[i] ?? 0) - m) / m;
      const { index, value } = row;
      for (let a = 0; a < index.length; a++) {
        const ia = index[a] ?? 0;
        const wa = w * (value[a] ?? 0);
        xtwz[ia] = (xtwz[ia] ?? 0) + wa * z;
        const offset = ia * p;
        for (let b = 0; b <= a; b++) {
          const cell = offset + (index[b] ?? 0);
          xtwx[cell] = (xtwx[cell] ?? 0) + wa * (value[b] ?? 0);
        }
      }
    }
    for (let a = 0; a < p; a++) {
      for (let cell = a * p; cell <= a * p + a; cell++) {
        xtwx[cell] = (xtwx[cell] ?? 0) + (penalty[cell] ?? 0);
      }
    }
    cholesky(xtwx, p, factor);
    solve(factor, p, xtwz, next);
    let change = 0;
    for (let a = 0; a < p; a++)
      change = Math.max(change, Math.abs((next[a] ?? 0) - (beta[a] ?? 0)));
    beta.set(next);
    if (change < TOLERANCE) break;
  }
  const covariance = new Float64Array(withCovariance ? p * p : 0);
  fittedMeans(rows, beta, mu);
  if (!withCovariance) return { beta, covariance, mu, parameters: Number.NaN };
  inverseFromCholesky(factor, p, covariance);
  // trace(H) = p − trace(Λ Σ).
  let parameters = p;
  for (let a = 0; a < p; a++) {
    for (let b = 0; b < p; b++) {
      const lambda = penalty[a * p + b] ?? 0;
      if (lambda !== 0) parameters -= lambda * (covariance[b * p + a] ?? 0);
    }
  }
  return { beta, covariance, mu, parameters };
}

// Work matrices kept from fit to fit (a thread fits one at a time): every entry a fit reads,
// it has written first.
const scratches: Float64Array[] = [];
function scratch(slot: number, size: number): Float64Array {
  let buffer = scratches[slot];
  if (!buffer || buffer.length < size) {
    buffer = new Float64Array(size);
    scratches[slot] = buffer;
  }
  return buffer;
}

/** exp(xβ) of each row, into `mu` (a plain loop: `Float64Array.from` with a map is slow). */
export function fittedMeans(
  rows: SparseRow[],
  beta: ArrayLike<number>,
  mu = new Float64Array(rows.length),
): Float64Array {
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i];
    if (row) mu[i] = Math.exp(linear(row, beta));
  }
  return mu;
}

export function linear(row: SparseRow, beta: ArrayLike<number>): number {
  let eta = 0;
  for (let a = 0; a < row.index.length; a++) {
    eta += (row.value[a] ?? 0) * (beta[row.index[a] ?? 0] ?? 0);
  }
  return Math.min(20, Math.max(-20, eta));
}

/** xᵀ Σ x for a sparse row: the variance of its linear predictor. */
export function quadratic(row: SparseRow, covariance: Float64Array, p: number): number {
  let sum = 0;
  for (let a = 0; a < row.index.length; a++) {
    for (let b = 0; b < row.index.length; b++) {
      sum +=
        (row.value[a] ?? 0) *
        (row.value[b] ?? 0) *
        (covariance[(row.index[a] ?? 0) * p + (row.index[b] ?? 0)] ?? 0);
    }
  }
  return Math.max(0, sum);
}

/**
 * The lower triangle of L (L Lᵀ = m) from the lower triangle of m; the rest is not written.
 * Rows go in pairs: each dot product is a chain of dependent subtractions, and two
 * independent chains keep the CPU busy, while every entry sums its terms in the usual order.
 */
function cholesky(m: Float64Array, p: number, l: Float64Array): void {
  let i = 0;
  for (; i + 1 < p; i += 2) {
    const ri = i * p;
    const rn = ri + p;
    for (let j = 0; j <= i; j++) {
      const rj = j * p;
      let sum = m[ri + j] ?? 0;
      let next = m[rn + j] ?? 0;
      for (let k = 0; k < j; k++) {
        const ljk = l[rj + k] ?? 0;
        sum -= (l[ri + k] ?? 0) * ljk;
        next -= (l[rn + k] ?? 0) * ljk;
      }
      l[ri + j] = i === j ? Math.sqrt(Math.max(sum, 1e-12)) : sum / (l[rj + j] ?? 0);
      l[rn + j] = next / (l[rj + j] ?? 0);
    }
    let sum = m[rn + i + 1] ?? 0;
    for (let k = 0; k <= i; k++) sum -= (l[rn + k] ?? 0) * (l[rn + k] ?? 0);
    l[rn + i + 1] = Math.sqrt(Math.max(sum, 1e-12));
  }
  if (i < p) {
    const ri = i * p;
    for (let j = 0; j <= i; j++) {
      const rj = j * p;
      let sum = m[ri + j] ?? 0;
      for (let k = 0; k < j; k++) sum -= (l[ri + k] ?? 0) * (l[rj + k] ?? 0);
      l[ri + j] = i === j ? Math.sqrt(Math.max(sum, 1e-12)) : sum / (l[rj + j] ?? 0);
    }
  }
}

/**
 * (L Lᵀ)⁻¹ = L⁻ᵀ L⁻¹ from the factor: the triangular inverse and one symmetric product cost
 * p³/3, a third of solving for each unit column.
 */
function inverseFromCholesky(l: Float64Array, p: number, inverse: Float64Array): void {
  // mt = (L⁻¹)ᵀ, upper triangular, row-major: column j of L⁻¹ is row j of mt, read in order.
  // Independent sums go in pairs, as in `cholesky`, each in its usual order.
  const mt = scratch(2, p * p);
  for (let i = 0; i < p; i++) {
    const ri = i * p;
    const lii = l[ri + i] ?? 0;
    mt[ri + i] = 1 / lii;
    let j = 0;
    for (; j + 1 < i; j += 2) {
      const rj = j * p;
      const rn = rj + p;
      let sum = 0;
      let next = 0;
      sum += (l[ri + j] ?? 0) * (mt[rj + j] ?? 0);
      for (let k = j + 1; k < i; k++) {
        const lik = l[ri + k] ?? 0;
        sum += lik * (mt[rj + k] ?? 0);
        next += lik * (mt[rn + k] ?? 0);
      }
      mt[rj + i] = -sum / lii;
      mt[rn + i] = -next / lii;
    }
    for (; j < i; j++) {
      const rj = j * p;
      let sum = 0;
      for (let k = j; k < i; k++) sum += (l[ri + k] ?? 0) * (mt[rj + k] ?? 0);
      mt[rj + i] = -sum / lii;
    }
  }
  // (L⁻ᵀ L⁻¹)_ab = Σ_k m_ka m_kb over k ≥ max(a, b).
  for (let a = 0; a < p; a++) {
    const ra = a * p;
    let b = 0;
    for (; b + 1 <= a; b += 2) {
      const rb = b * p;
      const rn = rb + p;
      let sum = 0;
      let next = 0;
      for (let k = a; k < p; k++) {
        const mak = mt[ra + k] ?? 0;
        sum += mak * (mt[rb + k] ?? 0);
        next += mak * (mt[rn + k] ?? 0);
      }
      inverse[ra + b] = sum;
      inverse[rb + a] = sum;
      inverse[ra + b + 1] = next;
      inverse[rn + a] = next;
    }
    for (; b <= a; b++) {
      const rb = b * p;
      let sum = 0;
      for (let k = a; k < p; k++) sum += (mt[ra + k] ?? 0) * (mt[rb + k] ?? 0);
      inverse[ra + b] = sum;
      inverse[rb + a] = sum;
    }
  }
}

/** Solves L Lᵀ x = b. */
function solve(l: Float64Array, p: number, b: ArrayLike<number>, x: Float64Array): void {
  for (let i = 0; i < p; i++) {
    let sum = b[i] ?? 0;
    for (let k = 0; k < i; k++) sum -= (l[i * p + k] ?? 0) * (x[k] ?? 0);
    x[i] = sum / (l[i * p + i] ?? 0);
  }
  for (let i = p - 1; i >= 0; i--) {
    let sum = x[i] ?? 0;
    for (let k = i + 1; k < p; k++) sum -= (l[k * p + i] ?? 0) * (x[k] ?? 0);
    x[i] = sum / (l[i * p + i] ?? 0);
  }
}
