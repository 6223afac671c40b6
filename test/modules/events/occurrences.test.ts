import { describe, expect, it } from 'vitest';
import { type CalendarEvent, occurrencesBetween } from '../../../src/modules/events/occurrences';

const weekly: CalendarEvent = {
  id: '0190d5a0-0000-7000-8000-000000000001',
  kind: 'release',
  title: 'Release train',
  startsAt: new Date('2026-01-05T09:00:00Z'),
  endsAt: new Date('2026-01-05T10:00:00Z'),
  rrule: 'FREQ=WEEKLY',
  timeZone: null,
  excludedStarts: [],
  extraStarts: [],
  leadDays: 0,
  lagDays: 0,
  affectedReasons: [],
};

const startsOf = (event: CalendarEvent, limit?: number) =>
  occurrencesBetween(event, new Date('2026-01-01T00:00:00Z'), new Date('2026-03-01T00:00:00Z'), {
    timeZone: 'UTC',
    limit,
  }).map((o) => o.starts_at.slice(0, 10));

describe('occurrences with excluded and extra starts', () => {
  it('finds the next start kept when the first ones are excluded, however few its caller keeps', () => {
    const event = {
      ...weekly,
      excludedStarts: ['2026-01-05T09:00:00.000Z', '2026-01-12', '2026-01-19T09:00:00.000Z'],
    };
    expect(startsOf(event, 1)).toEqual(['2026-01-26']);
    expect(startsOf(event, 2)).toEqual(['2026-01-26', '2026-02-02']);
  });

  it('takes an extra start out when it is excluded too, and counts a start made twice once', () => {
    const event = {
      ...weekly,
      excludedStarts: ['2026-01-14'],
      extraStarts: [
        '2026-01-14T15:00:00.000Z',
        '2026-01-16T09:00:00.000Z',
        '2026-01-19T09:00:00.000Z',
      ],
    };
    expect(startsOf(event, 4)).toEqual(['2026-01-05', '2026-01-12', '2026-01-16', '2026-01-19']);
  });
});
