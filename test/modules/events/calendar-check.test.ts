import { describe, expect, it } from 'vitest';
import { occurrenceProbe, walkProbe } from '../../../src/modules/events/calendar-check';

const start = new Date('2026-07-01T06:00:00Z');
const walked = (rule: string) => walkProbe(occurrenceProbe(rule, start));

// The periods of ten years from 1 July 2026, a partial one at each end, and the step past.
const TEN_YEARS = { YEARLY: 13, MONTHLY: 133, WEEKLY: 525, DAILY: 3_655 };

describe('whether a rule occurs within ten years of its start', () => {
  it.each(Object.entries(TEN_YEARS))(
    'walks a %s rule that never occurs for at most ten years of periods, then says so',
    (freq, periods) => {
      // rrule stops a walk only at a start: these once walked 5,000 periods (5,000 years).
      for (const rule of [
        `FREQ=${freq};BYMONTH=2;BYMONTHDAY=30`,
        `FREQ=${freq};BYMONTH=2;BYYEARDAY=366`,
        `FREQ=${freq};BYMONTH=4,6,9,11;BYMONTHDAY=31`,
      ]) {
        const { occurs, steps } = walked(rule);
        expect(occurs, rule).toBe(false);
        expect(steps, rule).toBeLessThanOrEqual(periods);
      }
    },
  );

  it.each(Object.keys(TEN_YEARS))(
    'finds a %s rule whose first start is in the tenth year, and none when it is in the eighteenth',
    (freq) => {
      // 29 February 2036 is a Friday; the next Saturday 29 February is in 2044.
      expect(walked(`FREQ=${freq};BYMONTH=2;BYMONTHDAY=29;BYDAY=FR`).occurs).toBe(true);
      expect(walked(`FREQ=${freq};BYMONTH=2;BYMONTHDAY=29;BYDAY=SA`).occurs).toBe(false);
    },
  );

  it('counts periods of the rule’s interval, so a walk every other year still reaches 2036', () => {
    const rule = 'FREQ=YEARLY;INTERVAL=2;BYMONTH=2;BYMONTHDAY=29;BYDAY=FR';
    expect(walked(rule).occurs).toBe(true);
    expect(walked('FREQ=YEARLY;INTERVAL=2;BYMONTH=2;BYMONTHDAY=30').steps).toBeLessThanOrEqual(8);
  });

  it('answers nothing when a shorter limit runs out first, and is sure when it reaches a start', () => {
    const never = occurrenceProbe('FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30', start);
    expect(walkProbe(never, 200)).toEqual({ occurs: undefined, steps: 200 });
    expect(walkProbe(occurrenceProbe('FREQ=DAILY', start), 200).occurs).toBe(true);
  });
});
