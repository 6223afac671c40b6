import * as rruleModule from 'rrule';
import { describe, expect, it, vi } from 'vitest';
import { commonJsExports } from '../../../src/lib/common-js-exports';
import { exclusionsMove, movedExclusions } from '../../../src/modules/events/moved-exclusions';
import {
  type CalendarEvent,
  type CalendarExpansion,
  expandCalendar,
  occurrencesBetween,
} from '../../../src/modules/events/occurrences';

const daily: CalendarEvent = {
  id: '0190d5a0-0000-7000-8000-000000000001',
  kind: 'billing_run',
  title: 'Nightly billing',
  startsAt: new Date('2026-01-01T06:00:00Z'),
  endsAt: new Date('2026-01-01T07:00:00Z'),
  rrule: 'FREQ=DAILY',
  timeZone: null,
  excludedStarts: [],
  extraStarts: [],
  leadDays: 0,
  lagDays: 0,
  affectedReasons: [],
};

const calendar = { timeZone: 'UTC', steps: 1_000_000 };

/** The series an hour later, its excluded starts sent as stored. */
const anHourLater = (event: CalendarEvent): CalendarEvent => ({
  ...event,
  startsAt: new Date(event.startsAt.getTime() + 3_600_000),
  endsAt: new Date(event.endsAt.getTime() + 3_600_000),
});

/** Every occurrence the move has its expansions make (what its work grows with). */
const occurrencesMade = (move: ReturnType<typeof exclusionsMove>) =>
  [move.before, move.after].flat().reduce((sum, e) => sum + expandCalendar(e).length, 0);

/** The move worked out as it was before stretches: over one range, first to last. */
const overOneRange = (move: ReturnType<typeof exclusionsMove>) => {
  const whole = (stretches: CalendarExpansion[]): CalendarExpansion[] => {
    const [first, last] = [stretches[0], stretches.at(-1)];
    return first && last ? [{ ...first, to: last.to }] : [];
  };
  return { ...move, before: whole(move.before), after: whole(move.after) };
};

describe('moving the excluded starts of a series', () => {
  it('expands a few days around each excluded start, however many years lie between them', () => {
    const excluded = (years: number) => ({
      ...daily,
      excludedStarts: [
        '2026-03-10T06:00:00.000Z',
        `${2026 + years}-03-10T06:00:00.000Z`,
        `${2026 + years}-06-01`,
      ],
    });
    const apart = (years: number) =>
      exclusionsMove(excluded(years), anHourLater(excluded(years)), calendar);

    const decades = apart(30);
    expect(movedExclusions(decades)).toEqual([
      '2026-03-10T07:00:00.000Z',
      '2056-03-10T07:00:00.000Z',
      '2056-06-01',
    ]);
    // Three stretches of five days, before the move and after: not 30 years of days, twice.
    expect(occurrencesMade(decades)).toBeLessThanOrEqual(3 * 2 * 6);
    expect(occurrencesMade(decades)).toBe(occurrencesMade(apart(1)));
  });

  it('grows with the number of excluded starts, not with the span between them', () => {
    const everyHundredDays = (count: number) => ({
      ...daily,
      excludedStarts: Array.from({ length: count }, (_, i) =>
        new Date(Date.UTC(2026, 2, 10 + 100 * i, 6)).toISOString(),
      ),
    });
    const made = (count: number) =>
      occurrencesMade(
        exclusionsMove(everyHundredDays(count), anHourLater(everyHundredDays(count)), calendar),
      );
    expect(made(2)).toBeLessThanOrEqual(2 * 2 * 6);
    expect(made(200)).toBe(100 * made(2));
  });

  it('walks a moved series that a COUNT ends from its first start once, not once per excluded start', () => {
    const counted = {
      ...daily,
      rrule: 'FREQ=DAILY;COUNT=400',
      excludedStarts: ['2026-02-01T06:00:00.000Z', '2026-12-01T06:00:00.000Z', '2027-03-01'],
    };
    const move = exclusionsMove(counted, anHourLater(counted), calendar);
    expect(move.after).toHaveLength(1);
    // The 400th start is 4 February 2027: the day after it names no start, and stays.
    expect(movedExclusions(move)).toEqual([
      '2026-02-01T07:00:00.000Z',
      '2026-12-01T07:00:00.000Z',
      '2027-03-01',
    ]);
  });

  it("walks each stretch once, with the rule read once, and keeps none of them: the calendar's kept walks stay", () => {
    const { RRule } = commonJsExports(rruleModule, 'RRule');
    const walks = vi.spyOn(RRule.prototype, 'between');
    const parses = vi.spyOn(RRule, 'parseString');
    try {
      const weekly = { ...daily, id: '0190d5a0-0000-7000-8000-000000000002', rrule: 'FREQ=WEEKLY' };
      const year = {
        events: [weekly],
        from: new Date('2026-01-01T00:00:00Z'),
        to: new Date('2027-01-01T00:00:00Z'),
        limit: 1_000,
        ...calendar,
      };
      const weeks = expandCalendar(year);
      expect(walks).toHaveBeenCalledTimes(1);
      // 400 excluded starts 40 days apart: 400 stretches before the move and 400 after.
      const spread = {
        ...daily,
        excludedStarts: Array.from({ length: 400 }, (_, i) =>
          new Date(Date.UTC(2026, 2, 10 + 40 * i, 6)).toISOString(),
        ),
      };
      walks.mockClear();
      parses.mockClear();
      const move = exclusionsMove(spread, anHourLater(spread), calendar);
      expect(movedExclusions(move)).toHaveLength(400);
      expect(walks).toHaveBeenCalledTimes(800);
      expect(parses).toHaveBeenCalledTimes(800);
      // The year of the weekly event is still kept: expanding it again walks nothing.
      walks.mockClear();
      expect(expandCalendar(year)).toEqual(weeks);
      expect(walks).not.toHaveBeenCalled();
    } finally {
      walks.mockRestore();
      parses.mockRestore();
    }
  });

  describe('gives the answer it gave over one range from the first excluded start to the last', () => {
    const rules = [
      'FREQ=DAILY',
      'FREQ=DAILY;INTERVAL=3',
      'FREQ=WEEKLY',
      'FREQ=WEEKLY;BYDAY=MO,TH',
      'FREQ=WEEKLY;INTERVAL=2;BYDAY=TU',
      'FREQ=MONTHLY;BYMONTHDAY=1',
      'FREQ=MONTHLY;BYDAY=-1FR',
      'FREQ=YEARLY',
      'FREQ=WEEKLY;COUNT=150',
      'FREQ=DAILY;UNTIL=20290101T000000Z',
    ];
    const zones = [null, 'America/New_York', 'Europe/Berlin', 'Australia/Sydney'];
    const moves: { move: string; shiftMs: number; zone?: string }[] = [
      { move: 'an hour later', shiftMs: 3_600_000 },
      { move: 'a day and two hours later', shiftMs: 26 * 3_600_000 },
      { move: 'three hours earlier', shiftMs: -3 * 3_600_000 },
      { move: 'into Asia/Tokyo', shiftMs: 0, zone: 'Asia/Tokyo' },
    ];
    const cases = rules.flatMap((rrule) =>
      zones.flatMap((timeZone) =>
        moves.map((move) => ({ rrule, timeZone, zoneName: timeZone ?? 'UTC', ...move })),
      ),
    );

    it.each(cases)('$rrule in $zoneName, moved $move', (c) => {
      const series: CalendarEvent = {
        ...daily,
        startsAt: new Date('2026-01-05T21:30:00Z'),
        endsAt: new Date('2026-01-05T22:30:00Z'),
        rrule: c.rrule,
        timeZone: c.timeZone,
      };
      const starts = occurrencesBetween(series, series.startsAt, new Date('2031-01-01T00:00:00Z'), {
        timeZone: 'UTC',
      }).map((o) => o.starts_at);
      // Starts of the series (some as instants, some as their days), and one that is none.
      const picked = starts.filter((_, i) => i % 37 === 3);
      const excludedStarts = [
        ...picked.map((start, i) => (i % 3 === 0 ? start.slice(0, 10) : start)),
        '2027-07-04T12:00:00.000Z',
      ];
      const before = { ...series, excludedStarts };
      const after = {
        ...before,
        startsAt: new Date(series.startsAt.getTime() + c.shiftMs),
        endsAt: new Date(series.endsAt.getTime() + c.shiftMs),
        timeZone: c.zone ?? c.timeZone,
      };
      const move = exclusionsMove(before, after, calendar);
      expect(movedExclusions(move)).toEqual(movedExclusions(overOneRange(move)));
    });
  });
});
