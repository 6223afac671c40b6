/**
 * Answers that stay valid however often they are read before a campaign's window closes
 * (DESIGN.md section 6): a normal-mixture confidence sequence (Robbins 1970; Howard, Ramdas,
 * McAuliffe & Sekhon 2021). For a statistic Z that behaves like Brownian motion in its
 * information v, the mixture martingale
 *   M = (1 + ρv)^(−1/2) · exp(Z² · ρv / (2(1 + ρv)))
 * exceeds 1/α at any time with probability at most α (Ville's inequality), so |Z| stays below
 * the boundary it implies at every look with probability 1 − α, and 1/M is a p-value valid at
 * whatever moment it is read.
 *
 * The information v is counted in shares of the window (ρv = c·s), which needs no stored
 * history: s is the share of the measurement window elapsed, squared, and c is the mixing
 * scale that makes the boundary narrowest at the window's end. Squaring keeps the boundary on
 * the safe side while the information grows faster than the elapsed time (accounts keep
 * arriving early on, each adding contacts as days pass); after that the boundary is wider
 * than it needs to be, never narrower. The window's end is answered by the fixed-horizon
 * interval instead, as planned.
 */

const ALPHA = 0.05;
/** ρ·v at the window's end: the value that minimises the boundary there (Howard et al.). */
const SCALE = -2 * Math.log(ALPHA) + Math.log(-2 * Math.log(ALPHA) + 1);

const information = (elapsedShare: number) =>
  SCALE * Math.max(1e-6, Math.min(1, elapsedShare)) ** 2;

/** The half-width of the sequence in standard errors after `elapsedShare` of the window. */
export function sequenceBoundary(elapsedShare: number): number {
  const x = information(elapsedShare);
  return Math.sqrt(((1 + x) / x) * (Math.log(1 + x) + 2 * Math.log(1 / ALPHA)));
}

/** The always-valid p-value for a z statistic after `elapsedShare` of the window. */
export function sequencePValue(z: number, elapsedShare: number): number {
  const x = information(elapsedShare);
  const logMartingale = -0.5 * Math.log(1 + x) + (z * z * x) / (2 * (1 + x));
  return Math.min(1, Math.exp(-logMartingale));
}
