import negativeBinomialCdf from '@stdlib/stats-base-dists-negative-binomial-cdf';
import poissonCdf from '@stdlib/stats-base-dists-poisson-cdf';

/**
 * The upper-tail mid-p, P(Y > y) + ½·P(Y = y), for a count with mean `mu` and variance
 * `dispersion · mu`: Poisson when dispersion ≤ 1, otherwise the negative binomial with that
 * mean and variance. The count distribution (not a normal approximation) keeps low-volume
 * reasons honest; the mid-p keeps a discrete test from being needlessly conservative at the
 * small counts where every contact matters (figures: test/bench/README.md).
 */
export function upperTail(y: number, mu: number, dispersion: number): number {
  const mean = Math.max(mu, 1e-6);
  const poisson = dispersion <= 1.0001;
  const size = poisson ? Number.POSITIVE_INFINITY : mean / (dispersion - 1);
  if (y <= 0) return 1 - 0.5 * Math.exp(poisson ? -mean : size * Math.log(size / (size + mean)));
  const summed = y <= MAX_SUMMED ? summedTail(y, mean, size) : undefined;
  if (summed !== undefined) return summed;
  const cdf = poisson
    ? (k: number) => poissonCdf(k, mean)
    : (k: number) => negativeBinomialCdf(k, size, size / (size + mean));
  const below = cdf(y - 1);
  const atOrBelow = cdf(y);
  return Math.max(0, 1 - below - 0.5 * (atOrBelow - below));
}

// Detection takes tens of thousands of tails per recompute: up to this count, summing the
// probabilities by their recurrence is exact to rounding and several times cheaper than the
// incomplete beta and gamma functions.
const MAX_SUMMED = 60;
const SMALLEST_LOG = -700;

function summedTail(y: number, mean: number, size: number): number | undefined {
  const poisson = !Number.isFinite(size);
  const logFirst = poisson ? -mean : size * Math.log(size / (size + mean));
  if (logFirst < SMALLEST_LOG) return undefined;
  const ratio = poisson ? 0 : mean / (size + mean);
  let pmf = Math.exp(logFirst);
  let below = 0;
  for (let k = 1; k <= y; k++) {
    below += pmf;
    pmf *= poisson ? mean / k : ((k - 1 + size) / k) * ratio;
  }
  return Math.max(0, 1 - below - 0.5 * pmf);
}
