import { describe, expect, it } from 'vitest';
import { weekdayShares, weeklyOverlap } from '../../../src/modules/spikes/week-overlap';

const DAY_MS = 86_400_000;
// 2024-01-01 was a Monday.
const MONDAY = Date.UTC(2024, 0, 1);
const starts = Array.from({ length: 4 }, (_, w) => MONDAY + w * 7 * DAY_MS);
const day = (d: number) => ({
  starts_at: new Date(MONDAY + d * DAY_MS).toISOString(),
  ends_at: new Date(MONDAY + (d + 1) * DAY_MS).toISOString(),
});

describe('event overlap by the workspace rhythm', () => {
  it('learns each week’s day-of-week shares from the weeks before it only', () => {
    const weekdaysOnly = [100, 100, 100, 100, 100, 0, 0];
    const shares = weekdayShares([weekdaysOnly, weekdaysOnly, [0, 0, 0, 0, 0, 0, 700]]);
    expect(shares[0]?.every((s) => Math.abs(s - 1 / 7) < 1e-12)).toBe(true);
    expect(shares[2]?.[0]).toBeGreaterThan(0.18);
    // The third week's own 700 Sunday contacts would have made Sunday its busiest day.
    expect(shares[2]?.[6]).toBeLessThan(0.01);
  });

  it('weighs a day an event covers by its share of the week', () => {
    const weekdaysOnly = Array.from({ length: 4 }, () => [100, 100, 100, 100, 100, 0, 0]);
    const shares = weekdayShares(weekdaysOnly);
    const monday = weeklyOverlap([day(14)], starts, shares);
    const sunday = weeklyOverlap([day(20)], starts, shares);
    expect(monday[2]).toBeGreaterThan(0.18);
    expect(sunday[2]).toBeLessThan(0.01);
    // Without shares every day is a seventh of the week, as before.
    expect(weeklyOverlap([day(20)], starts)[2]).toBeCloseTo(1 / 7, 10);
  });
});
