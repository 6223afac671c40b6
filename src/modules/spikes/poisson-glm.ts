/**
 * A weighted Poisson log-linear model fitted by iteratively reweighted least squares: the
 * count model behind spike detection (overdispersion is estimated afterwards, as Farrington
 * and Noufaily do). Matrices are tiny (a handful of columns), so plain arrays suffice.
 */

export type GlmFit = {
  beta: number[];
  /** (XᵀWX)⁻¹ at convergence: the covariance of beta under the Poisson model. */
  covariance: number[][];
  mu: number[];
};

const MAX_ITERATIONS = 30;
const TOLERANCE = 1e-7;
// Keeps the normal equations solvable when a column is (nearly) constant in the window.
const RIDGE = 1e-6;

export function fitPoissonGlm(
  x: number[][],
  y: number[],
  weights: number[],
  start?: number[],
): GlmFit {
  const p = x[0]?.length ?? 0;
  const meanY =
    y.reduce((sum, v, i) => sum + v * (weights[i] ?? 0), 0) /
    Math.max(
      weights.reduce((a, b) => a + b, 0),
      1e-9,
    );
  let beta =
    start?.length === p ? [...start] : [Math.log(meanY + 0.5), ...new Array(p - 1).fill(0)];
  let covariance: number[][] = [];
  let mu: number[] = [];
  for (let iteration = 0; iteration < MAX_ITERATIONS; iteration++) {
    const xtwx = Array.from({ length: p }, () => new Array<number>(p).fill(0));
    const xtwz = new Array<number>(p).fill(0);
    mu = x.map((row) => Math.exp(clamp(dot(row, beta), -20, 20)));
    x.forEach((row, i) => {
      const m = mu[i] ?? 0;
      const w = (weights[i] ?? 0) * m;
      if (w === 0) return;
      const z = Math.log(m) + ((y[i] ?? 0) - m) / m;
      for (let a = 0; a < p; a++) {
        const wa = w * (row[a] ?? 0);
        xtwz[a] = (xtwz[a] ?? 0) + wa * z;
        const rowA = xtwx[a] as number[];
        for (let b = 0; b <= a; b++) rowA[b] = (rowA[b] ?? 0) + wa * (row[b] ?? 0);
      }
    });
    for (let a = 0; a < p; a++) {
      const rowA = xtwx[a] as number[];
      rowA[a] = (rowA[a] ?? 0) + RIDGE;
      for (let b = 0; b < a; b++) (xtwx[b] as number[])[a] = rowA[b] ?? 0;
    }
    covariance = invertSymmetric(xtwx);
    const next = covariance.map((row) => dot(row, xtwz));
    const change = Math.max(...next.map((v, i) => Math.abs(v - (beta[i] ?? 0))));
    beta = next;
    if (change < TOLERANCE) break;
  }
  mu = x.map((row) => Math.exp(clamp(dot(row, beta), -20, 20)));
  return { beta, covariance, mu };
}

export function dot(a: number[], b: number[]): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i] ?? 0) * (b[i] ?? 0);
  return sum;
}

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

/** Inverse of a symmetric positive-definite matrix through its Cholesky factor. */
function invertSymmetric(m: number[][]): number[][] {
  const n = m.length;
  const l = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = m[i]?.[j] ?? 0;
      for (let k = 0; k < j; k++) sum -= (l[i]?.[k] ?? 0) * (l[j]?.[k] ?? 0);
      (l[i] as number[])[j] = i === j ? Math.sqrt(Math.max(sum, 1e-12)) : sum / (l[j]?.[j] ?? 1);
    }
  }
  const inverse = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let col = 0; col < n; col++) {
    const e = new Array<number>(n).fill(0);
    e[col] = 1;
    const forward = new Array<number>(n).fill(0);
    for (let i = 0; i < n; i++) {
      let sum = e[i] ?? 0;
      for (let k = 0; k < i; k++) sum -= (l[i]?.[k] ?? 0) * (forward[k] ?? 0);
      forward[i] = sum / (l[i]?.[i] ?? 1);
    }
    for (let i = n - 1; i >= 0; i--) {
      let sum = forward[i] ?? 0;
      for (let k = i + 1; k < n; k++) sum -= (l[k]?.[i] ?? 0) * (inverse[k]?.[col] ?? 0);
      (inverse[i] as number[])[col] = sum / (l[i]?.[i] ?? 1);
    }
  }
  return inverse;
}
