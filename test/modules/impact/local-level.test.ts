import { describe, expect, it } from 'vitest';
import {
  fitLocalLevelModel,
  type LocalLevelFit,
  localLevelEvidence,
  withStep,
} from '../../../src/modules/impact/local-level';

/**
 * A seasonal series on the log scale with a drop `drop` weeks before its end, noise from
 * `seed`, and two gaps.
 */
function series(n: number, seed: number, drop: number) {
  let state = seed;
  const uniform = () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
  const y = Array.from({ length: n }, (_, t) => {
    if (t === 40 || t === n - 6) return Number.NaN;
    const season = 0.3 * Math.sin((2 * Math.PI * t) / 52);
    return 4 + season + (t >= n - drop ? -0.25 : 0) + 0.15 * (uniform() - 0.5);
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

const weeksFrom = (from: number, to: number) =>
  Array.from({ length: to - from }, (_, i) => from + i);

/** Everything a fit holds, NaN and the sign of zero included. */
const exactly = (fit: LocalLevelFit | undefined) =>
  fit && {
    q: fit.q,
    sigma2: fit.sigma2,
    logLikelihood: fit.logLikelihood,
    effective: fit.effective,
    state: Array.from(fit.state),
    covariance: Array.from(fit.covariance),
    standardized: Array.from(fit.standardized),
    squares: Array.from(fit.terms.squares),
    logF: Array.from(fit.terms.logF),
  };

type Evidence = ReturnType<typeof localLevelEvidence>;

function expectSame(taken: Evidence, alone: Evidence, label: string) {
  expect(taken.logEvidence, label).toBe(alone.logEvidence);
  expect(
    taken.weighed.map((w) => w.weight),
    label,
  ).toEqual(alone.weighed.map((w) => w.weight));
  expect(taken.weighed.length, label).toBe(alone.weighed.length);
  for (const [i, { fit }] of taken.weighed.entries()) {
    expect(exactly(fit), `${label}, q ${fit.q}`).toEqual(exactly(alone.weighed[i]?.fit));
  }
}

describe('the local-level filter with steps', () => {
  it('takes up the model’s filters where a step begins and gets exactly what filters from the first week get', () => {
    for (const [n, seed, drop] of [
      [156, 7, 10],
      [104, 11, 30],
      [60, 3, 5],
    ] as const) {
      const { y, x, p } = series(n, seed, drop);
      const model = fitLocalLevelModel(y, x, p, weeksFrom(1, n));
      expectSame(model.evidence, localLevelEvidence(y, x, p), `n ${n}`);
      // Every week a step may begin, its size diffuse (the shift search) and from a prior (the
      // recent shifts).
      for (const week of weeksFrom(1, n)) {
        const stepped = stepDesign(x, n, p, week);
        const diffuse = withStep(model, week, stepped, undefined, []);
        expectSame(diffuse.evidence, localLevelEvidence(y, stepped, p + 1), `n ${n}, ${week}`);
        if (week < n - 30) continue;
        const prior = 40;
        expectSame(
          withStep(model, week, stepped, prior, []).evidence,
          localLevelEvidence(y, stepped, p + 1, [undefined, undefined, prior]),
          `n ${n}, ${week}, prior`,
        );
      }
    }
  });

  it('takes up a stepped model’s filters, before its step and after, for another step', () => {
    const n = 156;
    const { y, x, p } = series(n, 5, 20);
    const model = fitLocalLevelModel(y, x, p, weeksFrom(8, n));
    for (const first of [9, 60, 120, 150]) {
      const once = stepDesign(x, n, p, first);
      const seconds = [8, 30, first + 1, 140, 153].filter((t) => t !== first && t < n);
      const stepped = withStep(model, first, once, undefined, seconds);
      for (const second of seconds) {
        const twice = stepDesign(once, n, p + 1, second);
        const label = `steps at ${first} and ${second}`;
        const again = withStep(stepped, second, twice, undefined, [n - 3, n - 2]);
        expectSame(again.evidence, localLevelEvidence(y, twice, p + 2), label);
        // A third, from a prior, on the twice-stepped model's kept states.
        const thrice = stepDesign(twice, n, p + 2, n - 2);
        expectSame(
          withStep(again, n - 2, thrice, 40, []).evidence,
          localLevelEvidence(y, thrice, p + 3, [undefined, undefined, undefined, undefined, 40]),
          `${label}, then ${n - 2}`,
        );
      }
    }
  });

  it('refuses to take up a filter at a week whose state it did not keep', () => {
    const n = 80;
    const { y, x, p } = series(n, 7, 10);
    const model = fitLocalLevelModel(y, x, p, [40]);
    expect(() => withStep(model, 41, stepDesign(x, n, p, 41), undefined, [])).toThrow(
      'no filter state kept before week 41',
    );
  });

  it('finds the drop likeliest among recent steps', () => {
    const n = 156;
    const { y, x, p } = series(n, 7, 10);
    const weeks = [130, 140, 146, 150, 155];
    const model = fitLocalLevelModel(y, x, p, weeks);
    const evidence = (week: number) =>
      withStep(model, week, stepDesign(x, n, p, week), 40, []).evidence.logEvidence;
    const likeliest = weeks.reduce((best, week) => (evidence(week) > evidence(best) ? week : best));
    expect(likeliest).toBe(146);
  });
});
