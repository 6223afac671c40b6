import { describe, expect, it } from 'vitest';
import {
  localLevelEvidence,
  localLevelEvidenceWithSteps,
} from '../../../src/modules/impact/local-level';

/** A seasonal series on the log scale with a drop 10 weeks before its end, and two gaps. */
function series(n: number) {
  let seed = 7;
  const uniform = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const y = Array.from({ length: n }, (_, t) => {
    if (t === 40 || t === n - 6) return Number.NaN;
    const season = 0.3 * Math.sin((2 * Math.PI * t) / 52);
    return 4 + season + (t >= n - 10 ? -0.25 : 0) + 0.15 * (uniform() - 0.5);
  });
  const p = 2;
  const x = new Float64Array(n * p);
  for (let t = 0; t < n; t++) {
    x[t * p] = Math.sin((2 * Math.PI * t) / 52);
    x[t * p + 1] = Math.cos((2 * Math.PI * t) / 52);
  }
  return { y, x, p };
}

const stepDesign = (x: Float64Array, n: number, p: number, week: number) => {
  const wide = new Float64Array(n * (p + 1));
  for (let t = 0; t < n; t++) {
    wide.set(x.subarray(t * p, t * p + p), t * (p + 1));
    wide[t * (p + 1) + p] = t >= week ? 1 : 0;
  }
  return wide;
};

describe('the local-level filter with steps', () => {
  it('takes up the model’s filter where each step begins and gets exactly what a filter from the start gets', () => {
    const n = 156;
    const { y, x, p } = series(n);
    const weeks = [130, 140, 146, 150, 155];
    const prior = 0.16 / 0.004;
    const shared = localLevelEvidenceWithSteps(
      y,
      x,
      p,
      weeks,
      (week) => stepDesign(x, n, p, week),
      prior,
    );
    const whole = localLevelEvidence(y, x, p);
    expect(shared.model.logEvidence).toBe(whole.logEvidence);
    for (const week of weeks) {
      const alone = localLevelEvidence(y, stepDesign(x, n, p, week), p + 1, [
        undefined,
        undefined,
        prior,
      ]);
      const taken = shared.steps.get(week);
      expect(taken?.logEvidence, `step at ${week}`).toBe(alone.logEvidence);
      expect(taken?.weighed.map((w) => w.weight)).toEqual(alone.weighed.map((w) => w.weight));
      for (const [i, { fit }] of (taken?.weighed ?? []).entries()) {
        const other = alone.weighed[i]?.fit;
        expect(Array.from(fit.state)).toEqual(Array.from(other?.state ?? []));
        expect(Array.from(fit.covariance)).toEqual(Array.from(other?.covariance ?? []));
        expect(Array.from(fit.standardized)).toEqual(Array.from(other?.standardized ?? []));
        expect(fit.sigma2).toBe(other?.sigma2);
      }
    }
    // The drop 10 weeks before the end is the likeliest of these steps.
    const likeliest = weeks.reduce((best, week) =>
      (shared.steps.get(week)?.logEvidence ?? -Infinity) >
      (shared.steps.get(best)?.logEvidence ?? -Infinity)
        ? week
        : best,
    );
    expect(likeliest).toBe(146);
  });
});
