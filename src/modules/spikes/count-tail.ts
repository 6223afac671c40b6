import negativeBinomialCdf from '@stdlib/stats-base-dists-negative-binomial-cdf';
import poissonCdf from '@stdlib/stats-base-dists-poisson-cdf';

/**
 * P(Y ≥ y) for a count with mean `mu` and variance `dispersion · mu`: Poisson when
 * dispersion ≤ 1, otherwise the negative binomial with that mean and variance. Using the
 * count distribution (not a normal approximation) is what keeps low-volume reasons honest.
 */
export function upperTail(y: number, mu: number, dispersion: number): number {
  if (y <= 0) return 1;
  const mean = Math.max(mu, 1e-6);
  if (dispersion <= 1.0001) return Math.max(0, 1 - poissonCdf(y - 1, mean));
  const size = mean / (dispersion - 1);
  return Math.max(0, 1 - negativeBinomialCdf(y - 1, size, size / (size + mean)));
}
