import { gzipSync } from 'node:zlib';
import type { Random } from './random';
import { EXTREME_DATES } from './schema-values';

const CSV_CELLS = [
  'a"b',
  '"unterminated',
  '"quoted ""twice"""',
  'a\u0000b',
  '=HYPERLINK("http://evil.example","x")',
  '+cmd|/c calc',
  '@SUM(1)',
  '-1+1',
  '',
  ' ',
  'Billing: double charge',
  'x'.repeat(3000),
  'line\nbreak',
  '\ufeffbom',
  'constructor',
  '__proto__',
  ...EXTREME_DATES,
];

const CSV_COLUMNS = ['source', 'external_id', 'created_at', 'reason', 'account_id', 'csat'];

/** A CSV upload for POST /v1/tickets/import: mostly ticket-like rows, some cells hostile. */
export function fuzzCsv(random: Random): { body: Uint8Array; contentType: string } {
  const columns = random.chance(0.1)
    ? [random.pick(CSV_CELLS), 'created_at']
    : CSV_COLUMNS.filter(() => random.chance(0.85));
  const rows = Array.from({ length: random.int(0, 6) }, (_, i) =>
    columns.map((column) => {
      if (random.chance(0.3)) return random.pick(CSV_CELLS);
      if (column === 'created_at') return `2025-0${random.int(1, 9)}-1${random.int(0, 9)}`;
      if (column === 'csat') return String(random.int(-2, 7));
      if (column === 'external_id') return `fz-${random.int(1, 40)}-${i}`;
      return random.pick(['fuzz', 'Billing', 'acct-1', 'login']);
    }),
  );
  const quote = (cell: string) => (random.chance(0.7) ? `"${cell.replaceAll('"', '""')}"` : cell);
  const eol = random.pick(['\n', '\r\n', '\r']);
  const text = [columns, ...rows].map((row) => row.map(quote).join(',')).join(eol);
  const bytes = new TextEncoder().encode(random.chance(0.1) ? `\ufeff${text}` : text);
  if (random.chance(0.15)) return { body: gzipSync(bytes), contentType: 'application/gzip' };
  if (random.chance(0.05)) return { body: bytes, contentType: 'application/gzip' };
  return { body: bytes, contentType: 'text/csv' };
}

const ICS_LINES = [
  'DTSTART:garbage',
  'DTSTART;TZID=Mars/Olympus:20260701T060000',
  'DTSTART:00000101T000000Z',
  'DTSTART:99991231T000000Z',
  'DTSTART;VALUE=DATE:20260230',
  'DTEND:20200101T000000Z',
  'DURATION:garbage',
  'DURATION:-P1D',
  'RRULE:FREQ=MONTHLY;BYMONTH=13',
  'RRULE:FREQ=DAILY;COUNT=-1',
  'RRULE:FREQ=DAILY;INTERVAL=0',
  'RRULE:FREQ=SECONDLY',
  'RRULE:FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30',
  'RRULE:FREQ=WEEKLY;BYDAY=99MO',
  'RRULE:garbage',
  'RECURRENCE-ID:garbage',
  'STATUS:CANCELLED',
  'SUMMARY:=HYPERLINK("x")',
  'SUMMARY:a\u0000b',
  'UID:constructor',
  'UID:__proto__',
  'BEGIN:VALARM',
  'END:VEVENT',
  'X-WEIRD;PARAM="unterminated:1',
];

/** An iCalendar feed for POST /v1/events/ics: a valid event or two, some lines hostile. */
export function fuzzIcs(random: Random): { body: Uint8Array; contentType: string } {
  const events = Array.from({ length: random.int(0, 3) }, (_, i) => {
    const lines = [
      'BEGIN:VEVENT',
      `UID:fuzz-${random.int(1, 20)}-${i}@example.com`,
      `SUMMARY:Fuzz ${i}`,
      `DTSTART:2026${String(random.int(1, 12)).padStart(2, '0')}10T090000Z`,
      'DTEND:20261231T100000Z',
    ];
    if (random.chance(0.3)) lines.push('RRULE:FREQ=MONTHLY;BYMONTHDAY=1');
    const hostile = random.int(0, 2);
    for (let k = 0; k < hostile; k++) {
      lines.splice(random.int(1, lines.length), 0, random.pick(ICS_LINES));
    }
    lines.push('END:VEVENT');
    return lines.join('\r\n');
  });
  const text = ['BEGIN:VCALENDAR', 'VERSION:2.0', ...events, 'END:VCALENDAR', ''].join('\r\n');
  const body = random.chance(0.1) ? text.slice(0, random.int(0, text.length)) : text;
  return { body: new TextEncoder().encode(body), contentType: 'text/calendar' };
}
