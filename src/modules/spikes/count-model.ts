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
const TOLERANCE = 1e-5;

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
  const xtwx = new Float64Array(p * p);
  const xtwz = new Float64Array(p);
  const factor = new Float64Array(p * p);
  const next = new Float64Array(p);
  const mu = new Float64Array(n);
  for (let iteration = 0; iteration < MAX_ITERATIONS; iteration++) {
    xtwx.fill(0);
    xtwz.fill(0);
    for (let i = 0; i < n; i++) {
      const row = rows[i] as SparseRow;
      const eta = linear(row, beta);
      const m = Math.exp(eta);
      mu[i] = m;
      const w = (weights[i] ?? 0) * m;
      if (w === 0) continue;
      const z = eta + ((y[i] ?? 0) - m) / m;
      const { index, value } = row;
      for (let a = 0; a < index.length; a++) {
        const ia = index[a] as number;
        const wa = w * (value[a] as number);
        xtwz[ia] = (xtwz[ia] as number) + wa * z;
        for (let b = 0; b < index.length; b++) {
          const cell = ia * p + (index[b] as number);
          xtwx[cell] = (xtwx[cell] as number) + wa * (value[b] as number);
        }
      }
    }
    for (let a = 0; a < p * p; a++) xtwx[a] = (xtwx[a] as number) + (penalty[a] as number);
    cholesky(xtwx, p, factor);
    solve(factor, p, xtwz, next);
    let change = 0;
    for (let a = 0; a < p; a++)
      change = Math.max(change, Math.abs((next[a] as number) - (beta[a] as number)));
    beta.set(next);
    if (change < TOLERANCE) break;
  }
  const covariance = new Float64Array(withCovariance ? p * p : 0);
  for (let i = 0; i < n; i++) mu[i] = Math.exp(linear(rows[i] as SparseRow, beta));
  if (!withCovariance) return { beta, covariance, mu, parameters: Number.NaN };
  inverseFromCholesky(factor, p, covariance);
  // trace(H) = p − trace(Λ Σ).
  let parameters = p;
  for (let a = 0; a < p; a++) {
    for (let b = 0; b < p; b++) {
      parameters -= (penalty[a * p + b] as number) * (covariance[b * p + a] as number);
    }
  }
  return { beta, covariance, mu, parameters };
}

export function linear(row: SparseRow, beta: ArrayLike<number>): number {
  let eta = 0;
  for (let a = 0; a < row.index.length; a++) {
    eta += (row.value[a] as number) * ((beta[row.index[a] as number] as number) ?? 0);
  }
  return Math.min(20, Math.max(-20, eta));
}

/** xᵀ Σ x for a sparse row: the variance of its linear predictor. */
export function quadratic(row: SparseRow, covariance: Float64Array, p: number): number {
  let sum = 0;
  for (let a = 0; a < row.index.length; a++) {
    for (let b = 0; b < row.index.length; b++) {
      sum +=
        (row.value[a] as number) *
        (row.value[b] as number) *
        (covariance[(row.index[a] as number) * p + (row.index[b] as number)] as number);
    }
  }
  return Math.max(0, sum);
}

function cholesky(m: Float64Array, p: number, l: Float64Array): void {
  l.fill(0);
  for (let i = 0; i < p; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = m[i * p + j] as number;
      for (let k = 0; k < j; k++) sum -= (l[i * p + k] as number) * (l[j * p + k] as number);
      l[i * p + j] = i === j ? Math.sqrt(Math.max(sum, 1e-12)) : sum / (l[j * p + j] as number);
    }
  }
}

/**
 * (L Lᵀ)⁻¹ = L⁻ᵀ L⁻¹ from the factor: the triangular inverse and one symmetric product cost
 * p³/3, a third of solving for each unit column (detection fits thousands of these).
 */
function inverseFromCholesky(l: Float64Array, p: number, inverse: Float64Array): void {
  // m = L⁻¹, lower triangular, row-major.
  const m = new Float64Array(p * p);
  for (let i = 0; i < p; i++) {
    const lii = l[i * p + i] as number;
    m[i * p + i] = 1 / lii;
    for (let j = 0; j < i; j++) {
      let sum = 0;
      for (let k = j; k < i; k++) sum += (l[i * p + k] as number) * (m[k * p + j] as number);
      m[i * p + j] = -sum / lii;
    }
  }
  // (L⁻ᵀ L⁻¹)_ab = Σ_k m_ka m_kb over k ≥ max(a, b).
  for (let a = 0; a < p; a++) {
    for (let b = 0; b <= a; b++) {
      let sum = 0;
      for (let k = a; k < p; k++) sum += (m[k * p + a] as number) * (m[k * p + b] as number);
      inverse[a * p + b] = sum;
      inverse[b * p + a] = sum;
    }
  }
}

/** Solves L Lᵀ x = b. */
function solve(l: Float64Array, p: number, b: ArrayLike<number>, x: Float64Array): void {
  for (let i = 0; i < p; i++) {
    let sum = b[i] as number;
    for (let k = 0; k < i; k++) sum -= (l[i * p + k] as number) * (x[k] as number);
    x[i] = sum / (l[i * p + i] as number);
  }
  for (let i = p - 1; i >= 0; i--) {
    let sum = x[i] as number;
    for (let k = i + 1; k < p; k++) sum -= (l[k * p + i] as number) * (x[k] as number);
    x[i] = sum / (l[i * p + i] as number);
  }
}
