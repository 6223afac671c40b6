import { describe, expect, it } from 'vitest';
import { parseTicketTime } from '../../../src/modules/tickets/ticket-time';

describe('parseTicketTime', () => {
  it.each([
    ['2024-02-29', 'UTC', '2024-02-29T00:00:00.000Z'],
    ['2000-02-29T12:00:00Z', 'UTC', '2000-02-29T12:00:00.000Z'],
    ['2025-01-09', 'America/New_York', '2025-01-09T05:00:00.000Z'],
    ['2025-07-09 14:30', 'Europe/Berlin', '2025-07-09T12:30:00.000Z'],
    ['2025-01-09T10:00:00+0200', 'America/New_York', '2025-01-09T08:00:00.000Z'],
    [' 2025-01-09T10:00:00.123456Z ', 'UTC', '2025-01-09T10:00:00.123Z'],
    // Seven digits (.NET, SQL Server's datetime2) or nine are cut to the millisecond, never
    // rounded into the next second, day or week.
    ['2026-11-01T23:59:59.9999999', 'UTC', '2026-11-01T23:59:59.999Z'],
    ['2026-11-01 23:59:59.999999999', 'America/New_York', '2026-11-02T04:59:59.999Z'],
    ['2026-11-01T23:59:59.9999999Z', 'UTC', '2026-11-01T23:59:59.999Z'],
  ])('reads %s in %s', (value, zone, expected) => {
    expect(parseTicketTime(value, zone)?.toISOString()).toBe(expected);
  });

  it.each([
    '2025-02-29',
    '1900-02-29',
    '2025-04-31',
    '2025-13-01',
    '2025-00-10',
    '2025-01-09T25:00',
    'soon',
    '',
  ])('refuses %j', (value) => {
    expect(parseTicketTime(value, 'UTC')).toBeUndefined();
  });
});
