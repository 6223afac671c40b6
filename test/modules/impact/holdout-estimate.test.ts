import { describe, expect, it } from 'vitest';
import {
  estimateWithHoldout,
  minimumDetectableDifference,
  summarise,
} from '../../../src/modules/impact/holdout-estimate';

describe('prevented contacts from a holdout', () => {
  it('computes the difference of means, its interval, the lift and a p-value', () => {
    // Treated: mean 0.5, variance 1/3. Holdout: mean 1, variance 2/3. SE = 4·√(1/12 + 1/6) = 2.
    const result = estimateWithHoldout(summarise([0, 1, 0, 1]), summarise([1, 1, 2, 0]));
    if (result.status !== 'ok') throw new Error(result.reason);
    expect(result.treated).toEqual({ accounts: 4, contacts: 2, rate: 0.5 });
    expect(result.prevented.estimate).toBeCloseTo(2, 10);
    expect(result.prevented.low).toBeCloseTo(2 - 1.959964 * 2, 5);
    expect(result.prevented.high).toBeCloseTo(2 + 1.959964 * 2, 5);
    expect(result.lift?.estimate).toBeCloseTo(0.5, 10);
    expect(result.lift?.low).toBeLessThan(0.5);
    expect(result.lift?.high).toBeGreaterThan(0.5);
    expect(result.pValue).toBeCloseTo(0.3173, 4);
  });

  it('says when there is not enough to estimate instead of dividing by zero', () => {
    expect(estimateWithHoldout(summarise([1, 0, 2]), summarise([]))).toMatchObject({
      status: 'insufficient_data',
    });
    expect(estimateWithHoldout(summarise([0, 0, 0]), summarise([0, 0]))).toMatchObject({
      status: 'insufficient_data',
      reason: expect.stringContaining('no variation'),
    });
  });

  it('gives no lift interval while the holdout has had no contacts', () => {
    const result = estimateWithHoldout(summarise([1, 0, 0, 2]), summarise([0, 0, 0]));
    expect(result.status === 'ok' && result.lift).toBeNull();
  });

  it('computes the minimum detectable difference for 80% power at 5%', () => {
    expect(minimumDetectableDifference(1, 900, 100)).toBeCloseTo(
      2.8 * Math.sqrt(1 / 900 + 1 / 100),
      10,
    );
    expect(minimumDetectableDifference(1, 900, 0)).toBe(Number.POSITIVE_INFINITY);
  });
});
