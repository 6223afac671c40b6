import { describe, expect, it } from 'vitest';
import { preventedRangeText, preventedText } from '../../../src/modules/reports/effect-text';
import { formatCount } from '../../../src/modules/reports/report-format';

/**
 * Rounding must not change what a figure says: no "-0", and no interval end that reads 0 (or
 * on the other side of 0) when the interval is on one side of it.
 */
describe("the report's figures as text", () => {
  it('never prints -0', () => {
    expect(formatCount(-0.4)).toBe('0');
    expect(formatCount(-0.04, 1)).toBe('0.0');
    expect(formatCount(-0)).toBe('0');
    expect(formatCount(-1.6)).toBe('-2');
  });

  it('keeps an interval end that would round to 0 on its side of 0', () => {
    expect(preventedRangeText({ estimate: 5, low: -0.4, high: 10 })).toBe(
      'not distinguishable from no effect: the 95% interval runs from -0.4 to 10',
    );
    // An effect claimed: its lower end does not read 0.
    expect(preventedRangeText({ estimate: 5, low: 0.3, high: 10 })).toBe('95%: 0.3 to 10');
    expect(preventedRangeText({ estimate: 0.2, low: 0.0001, high: 0.45 })).toBe(
      '95%: 0.0001 to 0.5',
    );
    expect(preventedRangeText({ estimate: -3, low: -7.2, high: -0.02 }, 1)).toBe(
      '95%: -7.2 to -0.02',
    );
    // Ends that round away from 0 are as before.
    expect(preventedRangeText({ estimate: 412.4, low: 310.2, high: 514.6 })).toBe(
      '95%: 310 to 515',
    );
  });

  it('says an estimate with its interval in the same words at any precision', () => {
    expect(preventedText({ estimate: 197.66, low: 4.74, high: 408.71 }, 1)).toBe(
      '197.7 (95%: 4.7 to 408.7)',
    );
    expect(preventedText({ estimate: 0.2, low: -0.4, high: 0.8 }, 0)).toBe(
      '0.2: not distinguishable from no effect: the 95% interval runs from -0.4 to 1',
    );
  });
});
