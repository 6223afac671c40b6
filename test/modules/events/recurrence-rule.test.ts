import { describe, expect, it } from 'vitest';
import { recurrenceStarts } from '../../../src/modules/events/recurrence-rule';

describe('expanding a recurrence', () => {
  it('stops at the starts its caller keeps instead of walking the rest of the range', () => {
    // Stored before rules were checked: a start every minute, 20,160 in two weeks.
    const hours = Array.from({ length: 24 }, (_, i) => i).join(',');
    const minutes = Array.from({ length: 60 }, (_, i) => i).join(',');
    const rule = `FREQ=DAILY;BYHOUR=${hours};BYMINUTE=${minutes}`;
    const { starts, steps } = recurrenceStarts(
      rule,
      new Date('2026-01-01T00:00:00Z'),
      new Date('2026-02-01T00:00:00Z'),
      new Date('2026-02-15T00:00:00Z'),
      { budget: 1_000, max: 100, timeZone: 'UTC' },
    );
    expect(starts).toHaveLength(100);
    expect(starts[0]?.toISOString()).toBe('2026-02-01T00:00:00.000Z');
    expect(starts[99]?.toISOString()).toBe('2026-02-01T01:39:00.000Z');
    // The walk began a period before the range and ended on its first day.
    expect(steps).toBeLessThanOrEqual(2);
  });
});
