import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { expectProblem } from '../../helpers/problem';
import { readJson } from '../../helpers/read-json';
import { recordingThreadCompute } from '../../helpers/recording-compute';
import { startTestApp, type TestApp } from '../../helpers/test-app';

// The import's general behaviour is tested with the other event routes (events.test.ts);
// these are its limits, and what a hostile or sloppy feed must not do.

const calendar = (...lines: string[]) =>
  ['BEGIN:VCALENDAR', 'VERSION:2.0', ...lines, 'END:VCALENDAR', ''].join('\r\n');
const vevent = (uid: string, ...lines: string[]) => [
  'BEGIN:VEVENT',
  `UID:${uid}`,
  ...lines,
  'END:VEVENT',
];
const at = 'DTSTART:20260701T060000Z';

// A zone whose clock is 14 hours ahead all year, under a name IANA knows as another offset.
const fakeZone = (tzid: string, offset = '+1400') => [
  'BEGIN:VTIMEZONE',
  `TZID:${tzid}`,
  'BEGIN:STANDARD',
  'DTSTART:19700101T000000',
  `TZOFFSETFROM:${offset}`,
  `TZOFFSETTO:${offset}`,
  'END:STANDARD',
  'END:VTIMEZONE',
];

describe('iCalendar import limits', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    await t.deps.db.execute(sql`truncate events cascade`);
  });

  const importFeed = (body: string, app: TestApp = t) =>
    app.request('/v1/events/ics?kind=release', {
      method: 'POST',
      body,
      headers: { 'content-type': 'text/calendar' },
    });
  const stored = async () =>
    (await readJson(await t.request('/v1/events?limit=100'))).data as {
      title: string;
      starts_at: string;
      origin_id?: string;
    }[];

  it('refuses a feed of more than 5,000 VEVENTs with 413, folded BEGIN lines too, and imports nothing', async () => {
    const many = (begin: string[]) =>
      calendar(
        ...Array.from({ length: 5_001 }, (_, i) => [...begin, `UID:${i}`, 'END:VEVENT']).flat(),
      );
    const plain = await expectProblem(
      await importFeed(many(['BEGIN:VEVENT'])),
      413,
      'payload_too_large',
    );
    expect(plain.errors[0].message).toBe('it has 5001 VEVENTs, and a feed may have at most 5000');
    // A folded line escapes the count of the text, not the count of the parsed feed.
    const folded = await expectProblem(
      await importFeed(many(['BEGIN:VEV', ' ENT'])),
      413,
      'payload_too_large',
    );
    expect(folded.errors[0].message).toMatch(/^it has 5001 VEVENTs/);
    expect(await stored()).toEqual([]);
  });

  it('refuses a feed of more than 200 recurring VEVENTs with 413 and imports nothing', async () => {
    const rules = Array.from({ length: 201 }, (_, i) => vevent(`r${i}`, at, 'RRULE:FREQ=YEARLY'));
    const body = await expectProblem(
      await importFeed(calendar(...rules.flat())),
      413,
      'payload_too_large',
    );
    expect(body.errors[0].message).toBe(
      'it has 201 VEVENTs with an RRULE, and a feed may have at most 200',
    );
    expect(await stored()).toEqual([]);
  });

  it('reads the feed on a compute thread, as the request thread would', async () => {
    const { compute, tasks } = recordingThreadCompute();
    const onThreads = await startTestApp({ database: t.database, compute });
    const feed = calendar(...vevent('billing', at, 'RRULE:FREQ=MONTHLY', 'SUMMARY:Billing'));
    const answer = await readJson(await importFeed(feed, onThreads));
    expect(answer).toEqual({ imported: 1, updated: 0, skipped: [] });
    expect(tasks).toEqual(['icsFeed']);
    // Problems found on the thread come back as the same 422.
    const refused = await expectProblem(
      await importFeed(calendar(...vevent('bad', at, 'DTEND:20260601T060000Z')), onThreads),
      422,
      'invalid_calendar',
    );
    expect(refused.errors[0].path).toBe('VEVENT 1 (bad).DTEND');
    expect((await stored()).map((e) => e.title)).toEqual(['Billing']);
  });

  it('imports a SUMMARY with line breaks, control characters or bidi overrides on one line, without them', async () => {
    // Google Calendar writes a title's line break as \n; the rest come from sloppy exports.
    const answer = await readJson(
      await importFeed(
        calendar(
          ...vevent('google', at, 'SUMMARY:Billing run\\nannual plans too'),
          ...vevent('tabbed', at, 'SUMMARY:Release\t4.2\u0007'),
          ...vevent('reversed', at, 'SUMMARY:invoice\u202Egnp.exe \u2066isolated\u2069'),
          // Cut at the title's 200 characters, which would split the emoji's surrogate pair.
          ...vevent('long', at, `SUMMARY:${'a'.repeat(199)}\u{1F600} and more`),
          // Shows nothing: titled as an event without a SUMMARY is, so the API can save it back.
          ...vevent('invisible', at, 'SUMMARY:\u200B \u00AD\u2800'),
        ),
      ),
    );
    expect(answer).toEqual({ imported: 5, updated: 0, skipped: [] });
    expect((await stored()).map((e) => e.title)).toEqual([
      'Billing run annual plans too',
      'Release 4.2',
      'invoicegnp.exe isolated',
      'a'.repeat(199),
      'Untitled event',
    ]);
  });

  it("keeps a feed's VTIMEZONE to that feed, even a refused one, and reads IANA names by IANA", async () => {
    // Refused (its end is before its start), after defining Europe/Berlin as UTC+14.
    await expectProblem(
      await importFeed(
        calendar(
          ...fakeZone('Europe/Berlin'),
          ...vevent(
            'refused',
            'DTSTART;TZID=Europe/Berlin:20260701T090000',
            'DTEND;TZID=Europe/Berlin:20260601T090000',
          ),
        ),
      ),
      422,
      'invalid_calendar',
    );
    const berlin = 'DTSTART;TZID=Europe/Berlin:20260601T090000';
    await importFeed(calendar(...vevent('later', berlin, 'SUMMARY:Later feed')));
    // The same name defined wrongly in the feed itself is still Berlin: 09:00 CEST.
    await importFeed(
      calendar(...fakeZone('Europe/Berlin'), ...vevent('own', berlin, 'SUMMARY:Own zone')),
    );
    const byTitle = Object.fromEntries((await stored()).map((e) => [e.title, e.starts_at]));
    expect(byTitle).toEqual({
      'Later feed': '2026-06-01T07:00:00.000Z',
      'Own zone': '2026-06-01T07:00:00.000Z',
    });
  });

  it("reads a TZID IANA does not know by the feed's VTIMEZONE, and only in that feed", async () => {
    const outlook = 'DTSTART;TZID=Acme Standard Time:20260601T090000';
    const first = await importFeed(
      calendar(...fakeZone('Acme Standard Time', '+0300'), ...vevent('acme', outlook)),
    );
    expect(first.status).toBe(200);
    expect((await stored())[0]?.starts_at).toBe('2026-06-01T06:00:00.000Z');
    const body = await expectProblem(
      await importFeed(calendar(...vevent('acme-again', outlook))),
      422,
      'invalid_calendar',
    );
    expect(body.errors).toEqual([
      expect.objectContaining({
        path: 'VEVENT 1 (acme-again).DTSTART',
        message: 'TZID Acme Standard Time is neither a VTIMEZONE of the feed nor an IANA time zone',
      }),
    ]);
  });

  it('refuses a VTIMEZONE whose changes repeat more often than yearly', async () => {
    const zone = fakeZone('Acme Standard Time');
    zone.splice(zone.indexOf('END:STANDARD'), 0, 'RRULE:FREQ=DAILY');
    const body = await expectProblem(
      await importFeed(
        calendar(...zone, ...vevent('acme', 'DTSTART;TZID=Acme Standard Time:20260601T090000')),
      ),
      422,
      'invalid_calendar',
    );
    expect(body.errors[0]).toMatchObject({
      path: 'VEVENT 1 (acme).DTSTART',
      message: expect.stringMatching(/VTIMEZONE of TZID Acme Standard Time has a rule other/),
    });
    expect(await stored()).toEqual([]);
  });

  it('skips and lists EXDATE or RDATE without an RRULE, RDATE periods, and RDATE dates on a timed event', async () => {
    const answer = await readJson(
      await importFeed(
        calendar(
          ...vevent('no-rule', at, 'EXDATE:20260708T060000Z'),
          ...vevent('period', at, 'RRULE:FREQ=WEEKLY', 'RDATE;VALUE=PERIOD:20260703T060000Z/PT1H'),
          ...vevent('day', at, 'RRULE:FREQ=WEEKLY', 'RDATE;VALUE=DATE:20260703'),
          ...vevent('kept', at, 'RRULE:FREQ=WEEKLY', 'EXDATE:20260708T060000Z', 'SUMMARY:Kept'),
        ),
      ),
    );
    expect(answer).toMatchObject({ imported: 1, updated: 0 });
    expect(answer.skipped).toEqual([
      {
        location: 'body',
        path: 'VEVENT 1 (no-rule)',
        message: 'has EXDATE or RDATE without an RRULE',
      },
      {
        location: 'body',
        path: 'VEVENT 2 (period)',
        message: 'has RDATE periods (VALUE=PERIOD), which are not supported',
      },
      {
        location: 'body',
        path: 'VEVENT 3 (day)',
        message: 'has RDATE dates (VALUE=DATE) on a timed event, which give no time of day',
      },
    ]);
    expect((await stored()).map((e) => e.title)).toEqual(['Kept']);
  });

  it('refuses a feed of more than 20,000 EXDATE and RDATE values with 413 and imports nothing', async () => {
    // 41 series of 500 each: every one within an event's limit, the feed past its own.
    const dates = Array.from({ length: 500 }, (_, i) =>
      new Date(Date.UTC(2026, 6, 1 + i, 6)).toISOString().replace(/[-:]|\.000/g, ''),
    );
    const series = Array.from({ length: 41 }, (_, i) =>
      vevent(
        `s${i}`,
        at,
        'RRULE:FREQ=DAILY',
        `EXDATE:${dates.slice(0, 250).join(',')}`,
        `RDATE:${dates.slice(250).join(',')}`,
      ),
    );
    const body = await expectProblem(
      await importFeed(calendar(...series.flat())),
      413,
      'payload_too_large',
    );
    expect(body.errors[0].message).toBe(
      'its VEVENTs have 20500 EXDATE and RDATE values, and a feed may have at most 20000',
    );
    expect(await stored()).toEqual([]);
    const within = await importFeed(calendar(...series.slice(0, 40).flat()));
    expect(await readJson(within)).toMatchObject({ imported: 40, skipped: [] });
  });

  it('refuses a VEVENT with more than 500 EXDATEs, or one that is no date, naming it, and imports nothing', async () => {
    const dates = Array.from({ length: 501 }, (_, i) =>
      new Date(Date.UTC(2026, 6, 1 + i, 6)).toISOString().replace(/[-:]|\.000/g, ''),
    );
    const body = await expectProblem(
      await importFeed(
        calendar(
          ...vevent('many', at, 'RRULE:FREQ=DAILY', `EXDATE:${dates.join(',')}`),
          ...vevent('garbage', at, 'RRULE:FREQ=DAILY', 'EXDATE:20260708T060000Z', 'EXDATE:garbage'),
          ...vevent('mars', at, 'RRULE:FREQ=DAILY', 'RDATE;TZID=Mars/Olympus:20260703T060000'),
          ...vevent('plain', at, 'SUMMARY:Plain'),
        ),
      ),
      422,
      'invalid_calendar',
    );
    expect(body.errors).toEqual([
      {
        location: 'body',
        path: 'VEVENT 1 (many).EXDATE',
        message: 'has 501 dates, and an event may have at most 500',
      },
      {
        location: 'body',
        path: 'VEVENT 2 (garbage).EXDATE',
        message: 'is not a date or date-time',
      },
      {
        location: 'body',
        path: 'VEVENT 3 (mars).RDATE',
        message: 'TZID Mars/Olympus is neither a VTIMEZONE of the feed nor an IANA time zone',
      },
    ]);
    expect(await stored()).toEqual([]);
  });

  it("holds a VEVENT to the JSON API's limits: an RRULE of at most 500 characters, a UID of 255", async () => {
    const days = Array.from({ length: 150 }, (_, i) => i + 1).join(',');
    const longUid = 'u'.repeat(300);
    const body = await expectProblem(
      await importFeed(
        calendar(
          ...vevent('long-rule', at, `RRULE:FREQ=YEARLY;BYYEARDAY=${days}`),
          ...vevent(longUid, at),
        ),
      ),
      422,
      'invalid_calendar',
    );
    expect(body.errors).toEqual([
      expect.objectContaining({
        path: 'VEVENT 1 (long-rule).RRULE',
        message: expect.stringMatching(/500/),
      }),
      {
        location: 'body',
        path: `VEVENT 2 (${'u'.repeat(60)}…).UID`,
        message: 'must be at most 255 characters',
      },
    ]);
    expect(await stored()).toEqual([]);
  });

  it('refuses two VEVENTs with one UID, naming both, but not a changed occurrence', async () => {
    const body = await expectProblem(
      await importFeed(
        calendar(
          ...vevent('twice', at, 'SUMMARY:First'),
          ...vevent('once', at),
          ...vevent('twice', 'DTSTART:20260801T060000Z', 'SUMMARY:Second'),
        ),
      ),
      422,
      'invalid_calendar',
    );
    expect(body.errors).toEqual([
      { location: 'body', path: 'VEVENT 3 (twice).UID', message: 'is the UID of VEVENT 1 too' },
    ]);
    expect(await stored()).toEqual([]);
    const moved = await readJson(
      await importFeed(
        calendar(
          ...vevent('weekly', at, 'RRULE:FREQ=WEEKLY'),
          ...vevent('weekly', 'RECURRENCE-ID:20260708T060000Z', 'DTSTART:20260709T060000Z'),
        ),
      ),
    );
    expect(moved).toMatchObject({ imported: 1, updated: 0 });
  });
});
