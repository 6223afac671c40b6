import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { expandCalendar } from '../../../src/modules/events/occurrences';
import { calendarWindow } from '../../../src/modules/spikes/verdict-input';
import { type Compute, runTask } from '../../../src/threads/compute';
import { expectProblem } from '../../helpers/problem';
import { readJson } from '../../helpers/read-json';
import { recordingThreadCompute } from '../../helpers/recording-compute';
import { startTestApp, type TestApp } from '../../helpers/test-app';

const billingRun = {
  kind: 'billing_run',
  title: 'Monthly billing run',
  starts_at: '2026-01-01T06:00:00.000Z',
  ends_at: '2026-01-01T12:00:00.000Z',
  rrule: 'FREQ=MONTHLY;BYMONTHDAY=1',
  lag_days: 3,
  affected_reasons: ['billing'],
};

describe('predictable events', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
    // Reasons named by events and campaigns must exist (an unknown one is a 422).
    await t.request('/v1/reasons/billing', {
      method: 'PUT',
      json: { label: 'Billing', aliases: ['Invoices'] },
    });
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    await t.deps.db.execute(sql`truncate events cascade`);
  });

  const create = (json: unknown) => t.request('/v1/events', { method: 'POST', json });

  it('stores affected reasons as slugs whether named by label, alias or slug; unknown is a 422', async () => {
    const named = await readJson(
      await create({ ...billingRun, affected_reasons: ['Billing', 'invoices', 'billing'] }),
    );
    expect(named.affected_reasons).toEqual(['billing']);
    const unknown = await create({ ...billingRun, affected_reasons: ['Utilities'] });
    const problem = await expectProblem(unknown, 422, 'unknown_reason');
    expect(problem.detail).toContain('Utilities');
    expect(problem.errors).toEqual([
      expect.objectContaining({
        path: 'affected_reasons.0',
        message: 'unknown reason "Utilities"',
      }),
    ]);
    // A blank name is a malformed body, as it is in a campaign's target reasons.
    const blank = await expectProblem(
      await create({ ...billingRun, affected_reasons: [' '] }),
      400,
      'validation_failed',
    );
    expect(blank.errors).toEqual([expect.objectContaining({ path: 'affected_reasons.0' })]);
    expect((await readJson(await t.request('/v1/events'))).data).toHaveLength(1);
  });

  it('creates, reads, replaces and deletes an event', async () => {
    const created = await create(billingRun);
    expect(created.status).toBe(201);
    const event = await readJson(created);
    expect(event).toMatchObject({ ...billingRun, lead_days: 0, origin: 'manual', audience: null });

    const fetched = await readJson(await t.request(`/v1/events/${event.id}`));
    expect(fetched).toEqual(event);

    const replaced = await t.request(`/v1/events/${event.id}`, {
      method: 'PUT',
      json: { ...billingRun, title: 'Billing run (annual plans too)', rrule: null },
    });
    expect(await readJson(replaced)).toMatchObject({
      title: 'Billing run (annual plans too)',
      rrule: null,
    });

    const listed = await readJson(await t.request('/v1/events?kind=billing_run'));
    expect(listed.data.map((e: { id: string }) => e.id)).toEqual([event.id]);

    expect((await t.request(`/v1/events/${event.id}`, { method: 'DELETE' })).status).toBe(204);
    await expectProblem(await t.request(`/v1/events/${event.id}`), 404, 'not_found');
    await expectProblem(
      await t.request(`/v1/events/${event.id}`, { method: 'DELETE' }),
      404,
      'not_found',
    );
  });

  it('expands recurrences into occurrences for a date range', async () => {
    await create(billingRun);
    await create({
      kind: 'release',
      title: 'Mobile app 5.0',
      starts_at: '2026-03-10T09:00:00Z',
      ends_at: '2026-03-10T10:00:00Z',
    });
    const body = await readJson(
      await t.request('/v1/events/occurrences?from=2026-02-01&to=2026-04-01'),
    );
    expect(
      body.data.map((o: { title: string; starts_at: string }) => [o.title, o.starts_at]),
    ).toEqual([
      ['Monthly billing run', '2026-02-01T06:00:00.000Z'],
      ['Monthly billing run', '2026-03-01T06:00:00.000Z'],
      ['Mobile app 5.0', '2026-03-10T09:00:00.000Z'],
    ]);
    expect(body.data[0].ends_at).toBe('2026-02-01T12:00:00.000Z');
  });

  describe('excluded and extra starts', () => {
    // Mondays at 21:00 in New York: Tuesday 02:00Z in winter, 01:00Z from 8 March.
    const evening = {
      ...billingRun,
      title: 'Evening release',
      starts_at: '2026-03-02T21:00:00-05:00',
      ends_at: '2026-03-02T22:00:00-05:00',
      rrule: 'FREQ=WEEKLY;COUNT=6',
      time_zone: 'America/New_York',
    };
    const starts = async () =>
      (
        await readJson(await t.request('/v1/events/occurrences?from=2026-03-01&to=2026-04-15'))
      ).data.map((o: { starts_at: string }) => o.starts_at);

    it("skips an excluded instant, or any start on an excluded day of the event's zone, and adds extra starts", async () => {
      const created = await create({
        ...evening,
        excluded_starts: [
          '2026-03-09T21:00:00-04:00',
          // Monday in New York is Tuesday in UTC: the day is the zone's.
          '2026-03-23',
          // Not a start (21:00 UTC): an excluded instant matches exactly, or nothing.
          '2026-03-16T21:00:00Z',
          '2026-03-23',
        ],
        extra_starts: ['2026-03-19T13:00:00Z'],
      });
      expect(created.status, await created.clone().text()).toBe(201);
      const event = await readJson(created);
      expect(event).toMatchObject({
        excluded_starts: ['2026-03-10T01:00:00.000Z', '2026-03-16T21:00:00.000Z', '2026-03-23'],
        extra_starts: ['2026-03-19T13:00:00.000Z'],
      });
      expect(await starts()).toEqual([
        '2026-03-03T02:00:00.000Z',
        '2026-03-17T01:00:00.000Z',
        '2026-03-19T13:00:00.000Z',
        '2026-03-31T01:00:00.000Z',
        '2026-04-07T01:00:00.000Z',
      ]);
      const occurrences = await readJson(
        await t.request('/v1/events/occurrences?from=2026-03-19&to=2026-03-20'),
      );
      // An extra start's window is as long as the first.
      expect(occurrences.data).toEqual([
        expect.objectContaining({
          starts_at: '2026-03-19T13:00:00.000Z',
          ends_at: '2026-03-19T14:00:00.000Z',
        }),
      ]);

      const replaced = await t.request(`/v1/events/${event.id}`, {
        method: 'PUT',
        json: { ...evening, excluded_starts: ['2026-04-06'] },
      });
      expect(await readJson(replaced)).toMatchObject({
        excluded_starts: ['2026-04-06'],
        extra_starts: [],
      });
      expect(await starts()).toEqual([
        '2026-03-03T02:00:00.000Z',
        '2026-03-10T01:00:00.000Z',
        '2026-03-17T01:00:00.000Z',
        '2026-03-24T01:00:00.000Z',
        '2026-03-31T01:00:00.000Z',
      ]);
    });

    describe('when the series moves', () => {
      const replace = async (id: string, json: unknown) => {
        const response = await t.request(`/v1/events/${id}`, { method: 'PUT', json });
        expect(response.status, await response.clone().text()).toBe(200);
        return readJson(response);
      };

      it('keeps its cancelled occurrences cancelled, moving an excluded instant or day as the series moves; a body with its own list has it as sent', async () => {
        const event = await readJson(
          await create({
            ...evening,
            excluded_starts: ['2026-03-09T21:00:00-04:00', '2026-03-23'],
          }),
        );
        // An hour later: 22:00 in New York, in winter and in summer time.
        const later = {
          ...evening,
          starts_at: '2026-03-02T22:00:00-05:00',
          ends_at: '2026-03-02T23:00:00-05:00',
        };
        const moved = await replace(event.id, { ...later, excluded_starts: event.excluded_starts });
        expect(moved.excluded_starts).toEqual(['2026-03-10T02:00:00.000Z', '2026-03-23']);
        expect(await starts()).toEqual([
          '2026-03-03T03:00:00.000Z',
          '2026-03-17T02:00:00.000Z',
          '2026-03-31T02:00:00.000Z',
          '2026-04-07T02:00:00.000Z',
        ]);

        // To Tuesdays: the excluded day moves too.
        const tuesdays = {
          ...later,
          starts_at: '2026-03-03T22:00:00-05:00',
          ends_at: '2026-03-03T23:00:00-05:00',
        };
        const again = await replace(event.id, {
          ...tuesdays,
          excluded_starts: moved.excluded_starts,
        });
        expect(again.excluded_starts).toEqual(['2026-03-11T02:00:00.000Z', '2026-03-24']);
        expect(await readJson(await t.request(`/v1/events/${event.id}`))).toEqual(again);
        expect(await starts()).toEqual([
          '2026-03-04T03:00:00.000Z',
          '2026-03-18T02:00:00.000Z',
          '2026-04-01T02:00:00.000Z',
          '2026-04-08T02:00:00.000Z',
        ]);

        const own = await replace(event.id, { ...evening, excluded_starts: ['2026-03-16'] });
        expect(own.excluded_starts).toEqual(['2026-03-16']);
        expect(await starts()).toEqual([
          '2026-03-03T02:00:00.000Z',
          '2026-03-10T01:00:00.000Z',
          '2026-03-24T01:00:00.000Z',
          '2026-03-31T01:00:00.000Z',
          '2026-04-07T01:00:00.000Z',
        ]);
      });

      it('answers a move retried with its Idempotency-Key as the first time, keeping its cancelled occurrence cancelled', async () => {
        const event = await readJson(
          await create({ ...evening, excluded_starts: ['2026-03-09T21:00:00-04:00'] }),
        );
        const move = {
          ...evening,
          starts_at: '2026-03-02T22:00:00-05:00',
          ends_at: '2026-03-02T23:00:00-05:00',
          excluded_starts: event.excluded_starts,
        };
        const send = () =>
          t.request(`/v1/events/${event.id}`, {
            method: 'PUT',
            json: move,
            headers: { 'idempotency-key': 'move-to-22' },
          });
        const first = await send();
        expect(first.status).toBe(200);
        const retry = await send();
        expect(retry.headers.get('idempotent-replayed')).toBe('true');
        expect(await readJson(retry)).toEqual(await readJson(first));
        expect((await readJson(await t.request(`/v1/events/${event.id}`))).excluded_starts).toEqual(
          ['2026-03-10T02:00:00.000Z'],
        );
        expect(await starts()).not.toContain('2026-03-10T02:00:00.000Z');
      });

      it('moves an excluded start to the nearest start of a series moved a day and more than a week', async () => {
        const event = await readJson(
          await create({
            ...evening,
            excluded_starts: ['2026-03-16T21:00:00-04:00', '2026-03-30'],
          }),
        );
        // From Monday 2 March to Tuesday 10 March: each cancelled Monday's Tuesday, not a week on.
        const moved = await replace(event.id, {
          ...evening,
          starts_at: '2026-03-10T21:00:00-04:00',
          ends_at: '2026-03-10T22:00:00-04:00',
          excluded_starts: event.excluded_starts,
        });
        expect(moved.excluded_starts).toEqual(['2026-03-18T01:00:00.000Z', '2026-03-31']);
        const after = await starts();
        expect(after).toContain('2026-03-25T01:00:00.000Z');
        expect(after).toContain('2026-04-08T01:00:00.000Z');
        expect(after).not.toContain('2026-03-18T01:00:00.000Z');
        expect(after).not.toContain('2026-04-01T01:00:00.000Z');
      });

      it('moves an excluded instant by local time across the change to daylight saving', async () => {
        // Daily at 01:30 in New York, moved to 03:30: on 8 March 01:30 is EST and 03:30 EDT.
        const nightly = {
          ...evening,
          starts_at: '2026-03-05T01:30:00-05:00',
          ends_at: '2026-03-05T02:00:00-05:00',
          rrule: 'FREQ=DAILY;COUNT=6',
          excluded_starts: ['2026-03-08T01:30:00-05:00'],
        };
        const event = await readJson(await create(nightly));
        const moved = await replace(event.id, {
          ...nightly,
          starts_at: '2026-03-05T03:30:00-05:00',
          ends_at: '2026-03-05T04:00:00-05:00',
          excluded_starts: event.excluded_starts,
        });
        expect(moved.excluded_starts).toEqual(['2026-03-08T07:30:00.000Z']);
        expect(await starts()).toEqual([
          '2026-03-05T08:30:00.000Z',
          '2026-03-06T08:30:00.000Z',
          '2026-03-07T08:30:00.000Z',
          '2026-03-09T07:30:00.000Z',
          '2026-03-10T07:30:00.000Z',
        ]);
      });

      it('moves an excluded start to the start of the moved series it names, not past one the series still has, and cancels none it did not', async () => {
        // Mondays and Thursdays; the series now starts on the first Thursday, an hour later.
        const twiceWeekly = {
          ...evening,
          rrule: 'FREQ=WEEKLY;BYDAY=MO,TH;COUNT=6',
          excluded_starts: ['2026-03-12T21:00:00-04:00', '2026-03-16'],
        };
        const event = await readJson(await create(twiceWeekly));
        const moved = await replace(event.id, {
          ...twiceWeekly,
          starts_at: '2026-03-05T22:00:00-05:00',
          ends_at: '2026-03-05T23:00:00-05:00',
          excluded_starts: event.excluded_starts,
        });
        // Thursday the 12th at the new time, and Monday the 16th still: not three days on.
        expect(moved.excluded_starts).toEqual(['2026-03-13T02:00:00.000Z', '2026-03-16']);
        expect(await starts()).toEqual([
          '2026-03-06T03:00:00.000Z',
          '2026-03-10T02:00:00.000Z',
          '2026-03-20T02:00:00.000Z',
          '2026-03-24T02:00:00.000Z',
        ]);

        // Two weeks later: the series keeps its grid, so its excluded starts (now before its
        // first) name none of its starts, and two weeks on would cancel ones nobody cancelled.
        const trimmed = await replace(event.id, {
          ...twiceWeekly,
          starts_at: '2026-03-19T22:00:00-04:00',
          ends_at: '2026-03-19T23:00:00-04:00',
          excluded_starts: moved.excluded_starts,
        });
        expect(trimmed.excluded_starts).toEqual(moved.excluded_starts);
        expect(await starts()).toEqual([
          '2026-03-20T02:00:00.000Z',
          '2026-03-24T02:00:00.000Z',
          '2026-03-27T02:00:00.000Z',
          '2026-03-31T02:00:00.000Z',
          '2026-04-03T02:00:00.000Z',
          '2026-04-07T02:00:00.000Z',
        ]);
      });
    });

    it("gives spike detection's and patterns' calendar the same starts", async () => {
      await create({
        ...evening,
        excluded_starts: ['2026-03-09T21:00:00-04:00', '2026-03-23'],
        extra_starts: ['2026-03-19T13:00:00Z'],
      });
      const { expansion } = await calendarWindow(
        t.deps,
        new Date('2026-03-01T00:00:00Z'),
        new Date('2026-04-15T00:00:00Z'),
      );
      // Padded by the event's lag: each window starts at its start.
      expect(expandCalendar(expansion).map((o) => o.starts_at)).toEqual(await starts());
      expect(await starts()).toEqual([
        '2026-03-03T02:00:00.000Z',
        '2026-03-17T01:00:00.000Z',
        '2026-03-19T13:00:00.000Z',
        '2026-03-31T01:00:00.000Z',
        '2026-04-07T01:00:00.000Z',
      ]);
    });

    it('keeps 500 of each', async () => {
      const days = Array.from({ length: 500 }, (_, i) =>
        new Date(Date.UTC(2027, 0, 1 + i)).toISOString().slice(0, 10),
      );
      const created = await create({
        ...evening,
        excluded_starts: days,
        extra_starts: days.map((day) => `${day}T12:00:00Z`),
      });
      expect(created.status).toBe(201);
      expect((await readJson(created)).extra_starts).toHaveLength(500);
    });

    it.each([
      [
        'excluded starts without a rule',
        { rrule: null, excluded_starts: ['2026-03-09'] },
        'excluded_starts',
      ],
      [
        'extra starts without a rule',
        { rrule: null, extra_starts: ['2026-03-19T13:00:00Z'] },
        'extra_starts',
      ],
      [
        'an excluded start that is no time',
        { excluded_starts: ['next monday'] },
        'excluded_starts.0',
      ],
      [
        'an excluded time without offset',
        { excluded_starts: ['2026-03-09T21:00:00'] },
        'excluded_starts.0',
      ],
      [
        'an excluded start in the year 9999',
        { excluded_starts: ['9999-03-09'] },
        'excluded_starts.0',
      ],
      ['an extra start that is a day', { extra_starts: ['2026-03-19'] }, 'extra_starts.0'],
      [
        '501 excluded starts',
        { excluded_starts: Array.from({ length: 501 }, () => '2026-03-09') },
        'excluded_starts',
      ],
      [
        '501 extra starts',
        { extra_starts: Array.from({ length: 501 }, () => '2026-03-19T13:00:00Z') },
        'extra_starts',
      ],
    ])('refuses %s with 400 naming the field, and saves nothing', async (_, overrides, field) => {
      const body = await expectProblem(
        await create({ ...evening, ...overrides }),
        400,
        'validation_failed',
      );
      expect(body.errors.map((e: { path: string }) => e.path)).toEqual([field]);
      expect((await readJson(await t.request('/v1/events'))).data).toEqual([]);
      const event = await readJson(await create(evening));
      await expectProblem(
        await t.request(`/v1/events/${event.id}`, {
          method: 'PUT',
          json: { ...evening, ...overrides },
        }),
        400,
        'validation_failed',
      );
      expect(await readJson(await t.request(`/v1/events/${event.id}`))).toEqual(event);
    });
  });

  it.each([
    ['an unknown kind', { kind: 'party' }, 'kind'],
    ['a time without offset', { starts_at: '2026-01-01T06:00:00' }, 'starts_at'],
    ['the year 0000', { starts_at: '0000-01-01T00:00:00Z' }, 'starts_at'],
    ['the year 9999', { ends_at: '9999-12-31T00:00:00Z' }, 'ends_at'],
  ])('rejects %s with 400 and saves nothing', async (_, overrides, field) => {
    const body = await expectProblem(
      await create({ ...billingRun, ...overrides }),
      400,
      'validation_failed',
    );
    expect(body.errors.map((e: { path: string }) => e.path)).toContain(field);
    const listed = await readJson(await t.request('/v1/events'));
    expect(listed.data).toEqual([]);
  });

  it.each([
    ['a line break', 'Billing\nrun'],
    ['a tab', 'Billing\trun'],
    ['a right-to-left override', 'invoice\u202Egnp.exe'],
    ['a left-to-right isolate', 'Billing \u2066run'],
  ])(
    'refuses a title with %s with 400 naming it, on create and replace, and saves nothing',
    async (_, title) => {
      const refused = async (response: Response) => {
        const body = await expectProblem(response, 400, 'validation_failed');
        expect(body.errors.map((e: { path: string }) => e.path)).toEqual(['title']);
      };
      await refused(await create({ ...billingRun, title }));
      expect((await readJson(await t.request('/v1/events'))).data).toEqual([]);
      const event = await readJson(await create(billingRun));
      await refused(
        await t.request(`/v1/events/${event.id}`, {
          method: 'PUT',
          json: { ...billingRun, title },
        }),
      );
      expect(await readJson(await t.request(`/v1/events/${event.id}`))).toEqual(event);
    },
  );

  it.each([
    ['an unparseable rule', { rrule: 'FREQ=SOMETIMES' }, 'rrule.FREQ'],
    ['a sub-daily rule', { rrule: 'FREQ=HOURLY' }, 'rrule.FREQ'],
    ['month 13', { rrule: 'FREQ=DAILY;BYMONTH=13' }, 'rrule.BYMONTH'],
    ['a negative COUNT', { rrule: 'FREQ=DAILY;COUNT=-1' }, 'rrule.COUNT'],
    ['INTERVAL 0', { rrule: 'FREQ=WEEKLY;INTERVAL=0' }, 'rrule.INTERVAL'],
    ['an unknown part', { rrule: 'FREQ=DAILY;EVERY=2' }, 'rrule.EVERY'],
    ['a rule that never occurs', { rrule: 'FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30' }, 'rrule'],
    [
      'a rule with its own DTSTART',
      { rrule: 'DTSTART:20260101T000000Z\nRRULE:FREQ=DAILY' },
      'rrule',
    ],
    ['an end before the start', { ends_at: '2025-12-31T00:00:00Z' }, 'ends_at'],
  ])('rejects %s with 422 naming the part, and saves nothing', async (_, overrides, field) => {
    const body = await expectProblem(
      await create({ ...billingRun, ...overrides }),
      422,
      'invalid_calendar',
    );
    expect(body.errors.map((e: { path: string }) => e.path)).toContain(field);
    const listed = await readJson(await t.request('/v1/events'));
    expect(listed.data).toEqual([]);
  });

  it('checks that a rule occurs on the request thread while that is short, on a compute thread when it is not', async () => {
    const { compute, tasks } = recordingThreadCompute();
    const onThreads = await startTestApp({ database: t.database, compute });
    const post = (rrule: string) =>
      onThreads.request('/v1/events', { method: 'POST', json: { ...billingRun, rrule } });
    // A yearly rule's ten years are thirteen periods: walked here, and refused.
    for (const rrule of [
      'FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30',
      'FREQ=YEARLY;BYYEARDAY=366;BYMONTH=2',
    ]) {
      const body = await expectProblem(await post(rrule), 422, 'invalid_calendar');
      expect(body.errors).toEqual([expect.objectContaining({ path: 'rrule' })]);
    }
    // A daily rule's first start comes at once; when none comes, 3,600 days are left to walk.
    expect((await post('FREQ=DAILY')).status).toBe(201);
    expect(tasks).toEqual([]);
    await expectProblem(await post('FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30'), 422, 'invalid_calendar');
    expect(tasks).toEqual(['occurrenceProbe']);
    expect((await readJson(await t.request('/v1/events'))).data).toHaveLength(1);
  });

  it('imports public holidays once, however often it is asked', async () => {
    const first = await t.request('/v1/events/holidays', {
      method: 'POST',
      json: { country: 'US', region: 'NY', years: [2020] },
    });
    const counts = await readJson(first);
    expect(counts.imported).toBeGreaterThan(8);
    expect(counts.updated).toBe(0);
    const again = await readJson(
      await t.request('/v1/events/holidays', {
        method: 'POST',
        json: { country: 'us', region: 'ny', years: [2020] },
      }),
    );
    expect(again).toEqual({ imported: 0, updated: 0, unchanged: counts.imported });
    // As stored already, the holidays keep their versions.
    const listed = await readJson(await t.request('/v1/events?kind=holiday'));
    expect(listed.data.map((e: { version: number }) => e.version)).toEqual(
      listed.data.map(() => 1),
    );
    const occurrences = await readJson(
      await t.request('/v1/events/occurrences?from=2020-12-24&to=2020-12-27&kind=holiday'),
    );
    expect(occurrences.data.map((o: { title: string }) => o.title)).toEqual([
      'Christmas Day (US-NY)',
    ]);
  });

  describe('iCalendar feeds', () => {
    // A feed as calendar apps export it: CRLF lines, a VTIMEZONE, a recurring event, an
    // all-day event, a floating time, an event given by DURATION, and what is skipped.
    const feed = (releaseTitle: string) =>
      [
        'BEGIN:VCALENDAR',
        'VERSION:2.0',
        'PRODID:-//Acme//Ops calendar//EN',
        'BEGIN:VTIMEZONE',
        'TZID:Europe/Berlin',
        'BEGIN:STANDARD',
        'DTSTART:19701025T030000',
        'TZOFFSETFROM:+0200',
        'TZOFFSETTO:+0100',
        'RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU',
        'END:STANDARD',
        'BEGIN:DAYLIGHT',
        'DTSTART:19700329T020000',
        'TZOFFSETFROM:+0100',
        'TZOFFSETTO:+0200',
        'RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU',
        'END:DAYLIGHT',
        'END:VTIMEZONE',
        'BEGIN:VEVENT',
        'UID:billing@acme.test',
        'SUMMARY:Monthly billing run',
        'DTSTART;TZID=Europe/Berlin:20260701T060000',
        'DTEND;TZID=Europe/Berlin:20260701T090000',
        'RRULE:FREQ=MONTHLY;BYMONTHDAY=1',
        'END:VEVENT',
        'BEGIN:VEVENT',
        'UID:release@acme.test',
        `SUMMARY:${releaseTitle}`,
        'DTSTART;VALUE=DATE:20260715',
        'DTEND;VALUE=DATE:20260716',
        'END:VEVENT',
        'BEGIN:VEVENT',
        'UID:window@acme.test',
        'SUMMARY:Maintenance window',
        'DTSTART;TZID=America/New_York:20260720T220000',
        'DURATION:PT2H',
        'END:VEVENT',
        'BEGIN:VEVENT',
        'UID:floating@acme.test',
        'SUMMARY:Price change',
        'DTSTART:20260801T090000',
        'END:VEVENT',
        'BEGIN:VEVENT',
        'UID:cancelled@acme.test',
        'SUMMARY:Called off',
        'STATUS:CANCELLED',
        'DTSTART:20260705T090000Z',
        'END:VEVENT',
        'BEGIN:VEVENT',
        'UID:billing@acme.test',
        'RECURRENCE-ID;TZID=Europe/Berlin:20260801T060000',
        'SUMMARY:Monthly billing run (moved)',
        'DTSTART;TZID=Europe/Berlin:20260802T060000',
        'END:VEVENT',
        'END:VCALENDAR',
        '',
      ].join('\r\n');
    const importFeed = (body: string, query = 'kind=release&lead_days=1') =>
      t.request(`/v1/events/ics?${query}`, {
        method: 'POST',
        body,
        headers: { 'content-type': 'text/calendar' },
      });

    it('imports each event once, in its zone, and updates it when the feed is sent again', async () => {
      const first = await readJson(await importFeed(feed('Release 4.2')));
      expect(first).toMatchObject({ imported: 4, updated: 0 });
      expect(first.skipped.map((s: { message: string }) => s.message)).toEqual([
        'is cancelled',
        'changes one occurrence (RECURRENCE-ID)',
      ]);
      const listed = await readJson(await t.request('/v1/events?limit=50'));
      const byTitle = Object.fromEntries(listed.data.map((e: { title: string }) => [e.title, e]));
      // 06:00 in Berlin's summer time is 04:00 UTC.
      expect(byTitle['Monthly billing run']).toMatchObject({
        kind: 'release',
        starts_at: '2026-07-01T04:00:00.000Z',
        ends_at: '2026-07-01T07:00:00.000Z',
        rrule: 'FREQ=MONTHLY;BYMONTHDAY=1',
        lead_days: 1,
        origin: 'ics',
      });
      // All-day and floating times are on the workspace's clock (UTC here).
      expect(byTitle['Release 4.2']).toMatchObject({
        starts_at: '2026-07-15T00:00:00.000Z',
        ends_at: '2026-07-16T00:00:00.000Z',
      });
      expect(byTitle['Price change']).toMatchObject({
        starts_at: '2026-08-01T09:00:00.000Z',
        ends_at: '2026-08-01T09:00:00.000Z',
      });
      // A TZID without a VTIMEZONE is read as an IANA zone: 22:00 EDT is 02:00 UTC.
      expect(byTitle['Maintenance window']).toMatchObject({
        starts_at: '2026-07-21T02:00:00.000Z',
        ends_at: '2026-07-21T04:00:00.000Z',
      });
      const occurrences = await readJson(
        await t.request('/v1/events/occurrences?from=2026-09-01&to=2026-10-15&kind=release'),
      );
      expect(
        occurrences.data
          .filter((o: { title: string }) => o.title === 'Monthly billing run')
          .map((o: { starts_at: string }) => o.starts_at.slice(0, 10)),
      ).toEqual(['2026-09-01', '2026-10-01']);

      const again = await readJson(await importFeed(feed('Release 4.2.1')));
      expect(again).toMatchObject({ imported: 0, updated: 4 });
      const relisted = await readJson(await t.request('/v1/events?limit=50'));
      expect(relisted.data).toHaveLength(4);
      expect(relisted.data.map((e: { title: string }) => e.title)).toContain('Release 4.2.1');
    });

    // As Google Calendar exports a series with cancelled instances: one EXDATE line each, in
    // DTSTART's TZID, beside the zone's VTIMEZONE.
    const googleFeed = (exceptions: string[]) =>
      [
        'BEGIN:VCALENDAR',
        'PRODID:-//Google Inc//Google Calendar 70.9054//EN',
        'VERSION:2.0',
        'X-WR-TIMEZONE:America/New_York',
        ...['BEGIN:VTIMEZONE', 'TZID:America/New_York', 'BEGIN:DAYLIGHT'],
        ...['TZOFFSETFROM:-0500', 'TZOFFSETTO:-0400', 'TZNAME:EDT'],
        ...['DTSTART:19700308T020000', 'RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU', 'END:DAYLIGHT'],
        ...['BEGIN:STANDARD', 'TZOFFSETFROM:-0400', 'TZOFFSETTO:-0500', 'TZNAME:EST'],
        ...['DTSTART:19701101T020000', 'RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU', 'END:STANDARD'],
        'END:VTIMEZONE',
        'BEGIN:VEVENT',
        'DTSTART;TZID=America/New_York:20260302T100000',
        'DTEND;TZID=America/New_York:20260302T110000',
        'RRULE:FREQ=WEEKLY;BYDAY=MO',
        ...exceptions,
        'DTSTAMP:20260301T120000Z',
        'UID:7kukuqrfedlm2f9t3vmb4bsa3k@google.com',
        'SUMMARY:Release train',
        'STATUS:CONFIRMED',
        'END:VEVENT',
        'BEGIN:VEVENT',
        'DTSTART;VALUE=DATE:20260305',
        'DTEND;VALUE=DATE:20260306',
        'RRULE:FREQ=WEEKLY;UNTIL=20260402',
        'EXDATE;VALUE=DATE:20260312,20260326',
        'UID:maintenance-day@google.com',
        'SUMMARY:Maintenance day',
        'END:VEVENT',
        'END:VCALENDAR',
        '',
      ].join('\r\n');
    const startsByTitle = async () => {
      const listed = await readJson(
        await t.request('/v1/events/occurrences?from=2026-03-01&to=2026-04-10'),
      );
      const byTitle: Record<string, string[]> = {};
      for (const o of listed.data as { title: string; starts_at: string }[]) {
        byTitle[o.title] = [...(byTitle[o.title] ?? []), o.starts_at];
      }
      return byTitle;
    };

    it("keeps a Google series' EXDATEs and RDATEs, lists no occurrence on an excluded day, and updates them when sent again", async () => {
      const first = await readJson(
        await importFeed(
          googleFeed([
            'EXDATE;TZID=America/New_York:20260316T100000',
            'EXDATE;TZID=America/New_York:20260330T100000',
            'RDATE;TZID=America/New_York:20260319T100000',
          ]),
        ),
      );
      expect(first).toEqual({ imported: 2, updated: 0, skipped: [] });
      // 10:00 in New York: 15:00Z before 8 March, 14:00Z after.
      expect(await startsByTitle()).toEqual({
        'Release train': [
          '2026-03-02T15:00:00.000Z',
          '2026-03-09T14:00:00.000Z',
          '2026-03-19T14:00:00.000Z',
          '2026-03-23T14:00:00.000Z',
          '2026-04-06T14:00:00.000Z',
        ],
        'Maintenance day': [
          '2026-03-05T00:00:00.000Z',
          '2026-03-19T00:00:00.000Z',
          '2026-04-02T00:00:00.000Z',
        ],
      });
      const listed = await readJson(await t.request('/v1/events?limit=50'));
      const byTitle = Object.fromEntries(listed.data.map((e: { title: string }) => [e.title, e]));
      expect(byTitle['Release train']).toMatchObject({
        time_zone: 'America/New_York',
        excluded_starts: ['2026-03-16T14:00:00.000Z', '2026-03-30T14:00:00.000Z'],
        extra_starts: ['2026-03-19T14:00:00.000Z'],
      });
      expect(byTitle['Maintenance day']).toMatchObject({
        excluded_starts: ['2026-03-12', '2026-03-26'],
        extra_starts: [],
      });

      // The 30 March release is back on, 16 March still off, and no extra one.
      const again = await readJson(
        await importFeed(googleFeed(['EXDATE;TZID=America/New_York:20260316T100000'])),
      );
      expect(again).toEqual({ imported: 0, updated: 2, skipped: [] });
      expect((await startsByTitle())['Release train']).toEqual([
        '2026-03-02T15:00:00.000Z',
        '2026-03-09T14:00:00.000Z',
        '2026-03-23T14:00:00.000Z',
        '2026-03-30T14:00:00.000Z',
        '2026-04-06T14:00:00.000Z',
      ]);
    });

    it.each([
      ['a garbage DTSTART', 'DTSTART:garbage', 'DTSTART'],
      ['an unknown TZID', 'DTSTART;TZID=Mars/Olympus:20260701T060000', 'DTSTART'],
      ['an end before the start', 'DTSTART:20260701T060000Z\r\nDTEND:20260601T060000Z', 'DTEND'],
      ['a sub-daily RRULE', 'DTSTART:20260701T060000Z\r\nRRULE:FREQ=HOURLY', 'RRULE.FREQ'],
      [
        'an RRULE that never occurs',
        'DTSTART:20260701T060000Z\r\nRRULE:FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30',
        'RRULE',
      ],
      ['the year 9999', 'DTSTART:99990701T060000Z', 'DTSTART'],
    ])('refuses a feed with %s with 422 naming it, and imports nothing', async (_, lines, part) => {
      const body = await expectProblem(
        await importFeed(
          [
            'BEGIN:VCALENDAR',
            'VERSION:2.0',
            'BEGIN:VEVENT',
            'UID:good@acme.test',
            'DTSTART:20260701T060000Z',
            'END:VEVENT',
            'BEGIN:VEVENT',
            'UID:bad@acme.test',
            lines,
            'END:VEVENT',
            'END:VCALENDAR',
            '',
          ].join('\r\n'),
        ),
        422,
        'invalid_calendar',
      );
      expect(body.errors.map((e: { path: string }) => e.path)).toContain(
        `VEVENT 2 (bad@acme.test).${part}`,
      );
      expect((await readJson(await t.request('/v1/events'))).data).toEqual([]);
    });

    it('refuses what is not a calendar and writes nothing', async () => {
      const body = await expectProblem(
        await importFeed('BEGIN:VCALENDAR\r\nthis is not a property\r\n'),
        400,
        'validation_failed',
      );
      expect(body.errors[0].path).toBe('body');
      await expectProblem(await importFeed(feed('x'), 'kind=meeting'), 400, 'validation_failed');
      expect((await readJson(await t.request('/v1/events'))).data).toEqual([]);
    });
  });

  it('rejects an unknown country or region', async () => {
    const body = await expectProblem(
      await t.request('/v1/events/holidays', {
        method: 'POST',
        json: { country: 'US', region: 'ZZ', years: [2020] },
      }),
      400,
      'validation_failed',
    );
    expect(body.errors[0].path).toBe('region');
  });

  it('refuses a rule that recurs more than once a day, naming each part, and saves nothing', async () => {
    // Daily in name, every second in effect: 86,400 occurrences a day.
    const list = (n: number) => Array.from({ length: n }, (_, i) => i).join(',');
    const rrule = `FREQ=DAILY;BYHOUR=${list(24)};BYMINUTE=${list(60)};BYSECOND=${list(60)}`;
    const body = await expectProblem(
      await create({
        kind: 'maintenance',
        title: 's',
        starts_at: '2026-01-01T00:00:00Z',
        ends_at: '2026-01-01T00:00:01Z',
        rrule,
      }),
      422,
      'invalid_calendar',
    );
    expect(body.errors.map((e: { path: string }) => e.path)).toEqual([
      'rrule.BYHOUR',
      'rrule.BYMINUTE',
      'rrule.BYSECOND',
    ]);
    expect(body.errors[0].message).toContain('at most once a day');
    expect((await readJson(await t.request('/v1/events'))).data).toEqual([]);
    // One time of day is a rule like any other.
    expect((await create({ ...billingRun, rrule: 'FREQ=DAILY;BYHOUR=9;BYMINUTE=30' })).status).toBe(
      201,
    );
  });

  it('reads a rule’s values in any case, as RFC 5545 has them, instead of failing with 500', async () => {
    // Checked case-insensitively, these were walked as typed: rrule knows only MO and 20270301T…Z.
    const created = await create({
      ...billingRun,
      rrule: 'freq=weekly;byday=mo;until=20260301t000000z',
    });
    expect(created.status).toBe(201);
    const occurrences = await readJson(
      await t.request('/v1/events/occurrences?from=2026-01-01T00:00:00Z&to=2026-04-01T00:00:00Z'),
    );
    const starts = occurrences.data.map((o: { starts_at: string }) => o.starts_at);
    expect(starts[0]).toBe('2026-01-05T06:00:00.000Z');
    expect(starts.at(-1)).toBe('2026-02-23T06:00:00.000Z');
    expect(starts).toHaveLength(8);
  });

  describe('in a workspace time zone (America/New_York)', () => {
    let newYork: TestApp;
    beforeAll(async () => {
      newYork = await startTestApp({
        database: t.database,
        env: { WORKSPACE_TIME_ZONE: 'America/New_York' },
      });
    });
    const startsIn = async (app: TestApp, from: string, to: string) =>
      (await readJson(await app.request(`/v1/events/occurrences?from=${from}&to=${to}`))).data.map(
        (o: { starts_at: string }) => o.starts_at,
      );

    it('keeps a recurring event at its local time across the change to daylight saving', async () => {
      // 09:00 in New York: 14:00Z in winter, 13:00Z from 8 March.
      await create({
        ...billingRun,
        starts_at: '2026-03-02T09:00:00-05:00',
        ends_at: '2026-03-02T10:00:00-05:00',
        rrule: 'FREQ=WEEKLY;COUNT=3',
      });
      const body = await readJson(
        await newYork.request('/v1/events/occurrences?from=2026-03-01&to=2026-04-01'),
      );
      expect(
        body.data.map((o: { starts_at: string; ends_at: string }) => [o.starts_at, o.ends_at]),
      ).toEqual([
        ['2026-03-02T14:00:00.000Z', '2026-03-02T15:00:00.000Z'],
        ['2026-03-09T13:00:00.000Z', '2026-03-09T14:00:00.000Z'],
        ['2026-03-16T13:00:00.000Z', '2026-03-16T14:00:00.000Z'],
      ]);
      // A UTC workspace expands in UTC, as it always has.
      expect(await startsIn(t, '2026-03-01', '2026-04-01')).toEqual([
        '2026-03-02T14:00:00.000Z',
        '2026-03-09T14:00:00.000Z',
        '2026-03-16T14:00:00.000Z',
      ]);
    });

    it('reads BYDAY as the local weekday of a late-evening event', async () => {
      // Monday 22:00 in New York is Tuesday 03:00Z.
      await create({
        ...billingRun,
        starts_at: '2026-01-05T22:00:00-05:00',
        ends_at: '2026-01-05T23:00:00-05:00',
        rrule: 'FREQ=WEEKLY;BYDAY=MO;COUNT=3',
      });
      expect(await startsIn(newYork, '2026-01-01', '2026-02-01')).toEqual([
        '2026-01-06T03:00:00.000Z',
        '2026-01-13T03:00:00.000Z',
        '2026-01-20T03:00:00.000Z',
      ]);
    });

    // Berlin moves its clocks on 29 March 2026 (last Sunday), New York on 8 March (second).
    const berlinMondays = [
      '2026-03-02T08:00:00.000Z',
      '2026-03-09T08:00:00.000Z',
      '2026-03-16T08:00:00.000Z',
      '2026-03-23T08:00:00.000Z',
      '2026-03-30T07:00:00.000Z',
      '2026-04-06T07:00:00.000Z',
    ];
    const aroundBothChanges = async (title = billingRun.title) =>
      (
        await readJson(
          await newYork.request('/v1/events/occurrences?from=2026-03-01&to=2026-04-13'),
        )
      ).data
        .filter((o: { title: string }) => o.title === title)
        .map((o: { starts_at: string }) => o.starts_at);

    it("keeps an event with its own time_zone at that zone's local time, across that zone's change", async () => {
      const created = await create({
        ...billingRun,
        starts_at: '2026-03-02T09:00:00+01:00',
        ends_at: '2026-03-02T10:00:00+01:00',
        rrule: 'FREQ=WEEKLY;COUNT=6',
        time_zone: 'Europe/Berlin',
      });
      expect(created.status).toBe(201);
      const event = await readJson(created);
      expect(event.time_zone).toBe('Europe/Berlin');
      expect((await readJson(await newYork.request(`/v1/events/${event.id}`))).time_zone).toBe(
        'Europe/Berlin',
      );
      // 09:00 in Berlin: 08:00Z until 29 March, 07:00Z after; New York's change moves nothing.
      expect(await aroundBothChanges()).toEqual(berlinMondays);

      // Without one, the event follows the workspace's clock, as before.
      const replaced = await newYork.request(`/v1/events/${event.id}`, {
        method: 'PUT',
        json: {
          ...billingRun,
          starts_at: event.starts_at,
          ends_at: event.ends_at,
          rrule: event.rrule,
        },
      });
      expect((await readJson(replaced)).time_zone).toBeNull();
      expect(await aroundBothChanges()).toEqual([
        '2026-03-02T08:00:00.000Z',
        '2026-03-09T07:00:00.000Z',
        '2026-03-16T07:00:00.000Z',
        '2026-03-23T07:00:00.000Z',
        '2026-03-30T07:00:00.000Z',
        '2026-04-06T07:00:00.000Z',
      ]);
    });

    it("reads BYDAY as the weekday in the event's own time_zone", async () => {
      // Tuesday 01:00 in Berlin is Monday 19:00 in New York.
      await create({
        ...billingRun,
        starts_at: '2026-01-06T01:00:00+01:00',
        ends_at: '2026-01-06T02:00:00+01:00',
        rrule: 'FREQ=WEEKLY;BYDAY=TU;COUNT=2',
        time_zone: 'Europe/Berlin',
      });
      expect(await startsIn(newYork, '2026-01-01', '2026-02-01')).toEqual([
        '2026-01-06T00:00:00.000Z',
        '2026-01-13T00:00:00.000Z',
      ]);
    });

    it('refuses a time_zone that is not an IANA zone with 400 naming it, and saves nothing', async () => {
      const refused = await expectProblem(
        await create({ ...billingRun, time_zone: 'Mars/Olympus' }),
        400,
        'validation_failed',
      );
      expect(refused.errors).toEqual([expect.objectContaining({ path: 'time_zone' })]);
      expect((await readJson(await t.request('/v1/events'))).data).toEqual([]);

      const event = await readJson(await create({ ...billingRun, time_zone: 'Europe/Berlin' }));
      await expectProblem(
        await t.request(`/v1/events/${event.id}`, {
          method: 'PUT',
          json: { ...billingRun, title: 'Renamed', time_zone: 'Berlin' },
        }),
        400,
        'validation_failed',
      );
      expect(await readJson(await t.request(`/v1/events/${event.id}`))).toEqual(event);
    });

    it("keeps an imported event's IANA or Windows TZID as its time_zone, and UTC for a rule written in UTC; single UTC, floating, all-day and feed-only zones get none", async () => {
      const feed = [
        'BEGIN:VCALENDAR',
        'VERSION:2.0',
        ...['BEGIN:VTIMEZONE', 'TZID:W. Europe Standard Time', 'BEGIN:STANDARD'],
        ...['DTSTART:16010101T000000', 'TZOFFSETFROM:+0100', 'TZOFFSETTO:+0100'],
        ...['END:STANDARD', 'END:VTIMEZONE'],
        ...['BEGIN:VEVENT', 'UID:berlin@acme.test', 'SUMMARY:Berlin release'],
        ...[
          'DTSTART;TZID=Europe/Berlin:20260302T090000',
          'DTEND;TZID=Europe/Berlin:20260302T100000',
        ],
        ...['RRULE:FREQ=WEEKLY;COUNT=6', 'END:VEVENT'],
        ...['BEGIN:VEVENT', 'UID:utc@acme.test', 'SUMMARY:UTC', 'DTSTART:20260302T090000Z'],
        'END:VEVENT',
        ...['BEGIN:VEVENT', 'UID:floating@acme.test', 'SUMMARY:Floating'],
        ...['DTSTART:20260302T090000', 'END:VEVENT'],
        ...['BEGIN:VEVENT', 'UID:all-day@acme.test', 'SUMMARY:All day'],
        ...['DTSTART;VALUE=DATE:20260302', 'END:VEVENT'],
        // Outlook names zones the Windows way, with a VTIMEZONE that holds only this winter.
        ...['BEGIN:VEVENT', 'UID:outlook@acme.test', 'SUMMARY:Outlook'],
        ...['DTSTART;TZID=W. Europe Standard Time:20260302T090000'],
        ...['RRULE:FREQ=WEEKLY;COUNT=6', 'END:VEVENT'],
        // A rule written in UTC repeats at the same UTC time (RFC 5545), so its EXDATE matches.
        ...['BEGIN:VEVENT', 'UID:utc-weekly@acme.test', 'SUMMARY:UTC weekly'],
        ...['DTSTART:20260302T090000Z', 'RRULE:FREQ=WEEKLY;COUNT=6', 'EXDATE:20260323T090000Z'],
        'END:VEVENT',
        ...['BEGIN:VEVENT', 'UID:own-zone@acme.test', 'SUMMARY:Own zone'],
        ...['DTSTART;TZID=Acme Standard Time:20260302T090000', 'END:VEVENT'],
        ...['BEGIN:VTIMEZONE', 'TZID:Acme Standard Time', 'BEGIN:STANDARD'],
        ...['DTSTART:16010101T000000', 'TZOFFSETFROM:+0300', 'TZOFFSETTO:+0300'],
        ...['END:STANDARD', 'END:VTIMEZONE'],
        'END:VCALENDAR',
        '',
      ].join('\r\n');
      const imported = await newYork.request('/v1/events/ics?kind=release', {
        method: 'POST',
        body: feed,
        headers: { 'content-type': 'text/calendar' },
      });
      expect(await readJson(imported)).toMatchObject({ imported: 7, updated: 0 });
      const listed = await readJson(await newYork.request('/v1/events?limit=50'));
      expect(
        Object.fromEntries(
          listed.data.map((e: { title: string; time_zone: string | null }) => [
            e.title,
            e.time_zone,
          ]),
        ),
      ).toEqual({
        'Berlin release': 'Europe/Berlin',
        UTC: null,
        Floating: null,
        'All day': null,
        Outlook: 'Europe/Berlin',
        'UTC weekly': 'UTC',
        'Own zone': null,
      });
      expect(await aroundBothChanges('UTC weekly')).toEqual(
        ['03-02', '03-09', '03-16', '03-30', '04-06'].map((day) => `2026-${day}T09:00:00.000Z`),
      );
      expect(await aroundBothChanges('Berlin release')).toEqual(berlinMondays);
      expect(await aroundBothChanges('Outlook')).toEqual(berlinMondays);
    });

    it('reads from and to as days in the workspace time zone', async () => {
      // 22:00 on 1 March in New York is 03:00Z on 2 March.
      await create({
        kind: 'release',
        title: 'Evening release',
        starts_at: '2026-03-01T22:00:00-05:00',
        ends_at: '2026-03-01T23:00:00-05:00',
      });
      expect(await startsIn(newYork, '2026-03-01', '2026-03-02')).toEqual([
        '2026-03-02T03:00:00.000Z',
      ]);
      expect(await startsIn(newYork, '2026-03-02', '2026-03-03')).toEqual([]);
      // An instant is taken as given.
      expect(await startsIn(newYork, '2026-03-02T03:00:00Z', '2026-03-02T04:00:00Z')).toHaveLength(
        1,
      );
    });
  });

  it('refuses a range longer than two years with 422', async () => {
    await create({ ...billingRun, rrule: 'FREQ=DAILY' });
    const body = await expectProblem(
      await t.request('/v1/events/occurrences?from=2026-01-01&to=2045-01-01'),
      422,
      'range_too_large',
    );
    expect(body.errors[0].path).toBe('to');
  });

  it('answers a range in the year 9999 with 400 instead of expanding to it', async () => {
    for (let i = 0; i < 5; i++) await create({ ...billingRun, rrule: 'FREQ=DAILY' });
    const body = await expectProblem(
      await t.request('/v1/events/occurrences?from=9999-01-01&to=9999-01-02'),
      400,
      'validation_failed',
    );
    expect(body.errors.map((e: { path: string }) => e.path)).toEqual(['from', 'to']);
  });

  it('walks a recurrence from just before the range, not from the event start', async () => {
    // A daily event from 1950: 76 years of days before the range, within the API budget
    // only because the walk starts a period before `from`.
    await create({
      ...billingRun,
      starts_at: '1950-01-01T06:00:00Z',
      ends_at: '1950-01-01T12:00:00Z',
      rrule: 'FREQ=DAILY',
    });
    const body = await readJson(
      await t.request('/v1/events/occurrences?from=2026-03-01&to=2026-03-04'),
    );
    expect(body.data.map((o: { starts_at: string }) => o.starts_at)).toEqual([
      '2026-03-01T06:00:00.000Z',
      '2026-03-02T06:00:00.000Z',
      '2026-03-03T06:00:00.000Z',
    ]);
  });

  it('expands and serializes a busy calendar on a compute thread, as the request thread would', async () => {
    for (let i = 0; i < 8; i++) await create({ ...billingRun, rrule: 'FREQ=DAILY' });
    // Exceptions cross to the thread with their event: two starts fewer, one more.
    await create({
      ...billingRun,
      rrule: 'FREQ=DAILY',
      excluded_starts: ['2026-06-01', '2026-07-01T06:00:00Z'],
      extra_starts: ['2026-06-02T18:00:00Z'],
    });
    const { compute, tasks } = recordingThreadCompute();
    const onThreads = await startTestApp({ database: t.database, compute });
    const path = '/v1/events/occurrences?from=2026-01-01&to=2026-12-31';
    const fromThread = await onThreads.request(path);
    const inline = await t.request(path);
    expect(fromThread.status).toBe(200);
    expect(fromThread.headers.get('content-type')).toMatch(/^application\/json/);
    expect(tasks).toEqual(['occurrencesJson']);
    const body = await fromThread.text();
    expect(JSON.parse(body).data).toHaveLength(9 * 364 - 2 + 1);
    expect(body).toBe(await inline.text());
  });

  describe('moving the excluded starts of a series', () => {
    const daily = { ...billingRun, rrule: 'FREQ=DAILY' };
    const anHourLater = { starts_at: '2026-01-01T07:00:00Z', ends_at: '2026-01-01T13:00:00Z' };

    it('walks a few days around each excluded start, on the request thread, however many years lie between them', async () => {
      const event = await readJson(
        await create({
          ...daily,
          excluded_starts: ['2026-03-10T06:00:00Z', '2041-12-25', '2056-03-10T06:00:00Z'],
        }),
      );
      const { compute, tasks } = recordingThreadCompute();
      const onThreads = await startTestApp({ database: t.database, compute });
      const moved = await onThreads.request(`/v1/events/${event.id}`, {
        method: 'PUT',
        json: { ...daily, ...anHourLater, excluded_starts: event.excluded_starts },
      });
      expect(moved.status, await moved.clone().text()).toBe(200);
      expect((await readJson(moved)).excluded_starts).toEqual([
        '2026-03-10T07:00:00.000Z',
        '2041-12-25',
        '2056-03-10T07:00:00.000Z',
      ]);
      // Thirty years of days, before the move and after, took a compute thread; three
      // stretches of five days do not.
      expect(tasks).not.toContain('movedExclusions');
      const occurrences = await readJson(
        await t.request('/v1/events/occurrences?from=2056-03-09&to=2056-03-12'),
      );
      expect(occurrences.data.map((o: { starts_at: string }) => o.starts_at)).toEqual([
        '2056-03-09T07:00:00.000Z',
        '2056-03-11T07:00:00.000Z',
      ]);
    });

    it('moves many excluded starts on a compute thread as the request thread would', async () => {
      const excluded = Array.from({ length: 60 }, (_, i) =>
        new Date(Date.UTC(2026, 0, 3 + 20 * i, 6)).toISOString(),
      );
      const body = { ...daily, excluded_starts: excluded };
      const inline = await readJson(await create(body));
      const threaded = await readJson(await create(body));
      const { compute, tasks } = recordingThreadCompute();
      const onThreads = await startTestApp({ database: t.database, compute });
      const move = { ...daily, ...anHourLater, excluded_starts: excluded };
      const moved = async (app: TestApp, id: string) =>
        readJson(await app.request(`/v1/events/${id}`, { method: 'PUT', json: move }));
      const fromThread = await moved(onThreads, threaded.id);
      expect(tasks).toContain('movedExclusions');
      const fromRequest = await moved(t, inline.id);
      expect(fromThread.excluded_starts).toEqual(fromRequest.excluded_starts);
      expect(fromThread.excluded_starts).toEqual(excluded.map((s) => s.replace('T06', 'T07')));
    });

    describe('when the event changes while the move is worked out', () => {
      // Mondays at 06:00; every other Monday for four years cancelled (enough to take a thread).
      const mondays = {
        ...billingRun,
        starts_at: '2026-01-05T06:00:00Z',
        ends_at: '2026-01-05T07:00:00Z',
        rrule: 'FREQ=WEEKLY',
        excluded_starts: Array.from({ length: 100 }, (_, i) =>
          new Date(Date.UTC(2026, 0, 12 + 14 * i, 6)).toISOString(),
        ),
      };
      const toTuesdays = {
        ...mondays,
        starts_at: '2026-01-06T06:00:00Z',
        ends_at: '2026-01-06T07:00:00Z',
      };
      const withMondaysAndTuesdays = { ...mondays, rrule: 'FREQ=WEEKLY;BYDAY=MO,TU' };

      /**
       * The request thread's compute, handing over long work as a thread would, that lets
       * `meanwhile` (another client's change) commit each time it is given a move to work out.
       */
      const computeWith = (meanwhile: (moves: number) => Promise<void>) => {
        let moves = 0;
        const compute: Compute = Object.assign(
          (async (task, input) => {
            if (task === 'movedExclusions') await meanwhile(++moves);
            return runTask(task, input);
          }) as Compute,
          { offThread: true },
        );
        return { compute, moves: () => moves };
      };
      const replace = (app: TestApp, id: string, json: unknown) =>
        app.request(`/v1/events/${id}`, { method: 'PUT', json });

      it('moves them as the event it replaces has them, not as it was read before', async () => {
        const event = await readJson(await create(mondays));
        // Meanwhile the series gets Tuesdays too: the Tuesday after each cancelled Monday was
        // a start nobody cancelled, so the Mondays-to-Tuesdays move must not cancel it.
        const { compute, moves } = computeWith(async (n) => {
          if (n > 1) return;
          const added = await replace(t, event.id, withMondaysAndTuesdays);
          expect(added.status, await added.clone().text()).toBe(200);
        });
        const app = await startTestApp({ database: t.database, compute });
        const moved = await replace(app, event.id, {
          ...toTuesdays,
          excluded_starts: event.excluded_starts,
        });
        expect(moved.status, await moved.clone().text()).toBe(200);
        expect(moves()).toBe(2);
        const stored = await readJson(moved);
        expect(stored).toMatchObject({
          rrule: 'FREQ=WEEKLY',
          starts_at: '2026-01-06T06:00:00.000Z',
        });
        expect(stored.excluded_starts).toEqual(event.excluded_starts);
        const occurrences = await readJson(
          await t.request('/v1/events/occurrences?from=2026-01-12&to=2026-01-21'),
        );
        expect(occurrences.data.map((o: { starts_at: string }) => o.starts_at)).toEqual([
          '2026-01-13T06:00:00.000Z',
          '2026-01-20T06:00:00.000Z',
        ]);
      });

      it('answers 409 and saves nothing when the event changes each time the move is worked out, and runs its retry with the same Idempotency-Key', async () => {
        const event = await readJson(await create(mondays));
        let busy = true;
        const { compute, moves } = computeWith(async (n) => {
          if (!busy) return;
          const other = n % 2 === 1 ? withMondaysAndTuesdays : mondays;
          expect((await replace(t, event.id, other)).status).toBe(200);
        });
        const app = await startTestApp({ database: t.database, compute });
        const move = () =>
          app.request(`/v1/events/${event.id}`, {
            method: 'PUT',
            json: {
              ...toTuesdays,
              title: 'Moved to Tuesdays',
              excluded_starts: event.excluded_starts,
            },
            headers: { 'idempotency-key': 'to-tuesdays' },
          });
        const refused = await move();
        await expectProblem(refused, 409, 'conflict');
        expect(moves()).toBe(3);
        const stored = await readJson(await t.request(`/v1/events/${event.id}`));
        expect(stored).toMatchObject({
          title: mondays.title,
          starts_at: '2026-01-05T06:00:00.000Z',
          rrule: withMondaysAndTuesdays.rrule,
          excluded_starts: event.excluded_starts,
        });

        // The other client is done: the retry runs (a stored 409 would be replayed instead).
        busy = false;
        const retried = await move();
        expect(retried.status).toBe(200);
        expect(retried.headers.get('idempotent-replayed')).toBeNull();
        expect(await readJson(retried)).toMatchObject({ title: 'Moved to Tuesdays' });
      });
    });

    it('leaves extra starts where they are: each is an instant of its own, not one of the rule', async () => {
      // Weekly releases at 21:00, an extra one on a Thursday at 21:00 and a hotfix at 13:00.
      const releases = {
        ...billingRun,
        kind: 'release',
        title: 'Weekly release',
        starts_at: '2026-03-02T21:00:00Z',
        ends_at: '2026-03-02T22:00:00Z',
        rrule: 'FREQ=WEEKLY;COUNT=3',
        excluded_starts: ['2026-03-09T21:00:00Z'],
        extra_starts: ['2026-03-05T21:00:00Z', '2026-03-12T13:00:00Z'],
      };
      const event = await readJson(await create(releases));
      const moved = await t.request(`/v1/events/${event.id}`, {
        method: 'PUT',
        json: {
          ...releases,
          starts_at: '2026-03-02T22:00:00Z',
          ends_at: '2026-03-02T23:00:00Z',
          excluded_starts: event.excluded_starts,
          extra_starts: event.extra_starts,
        },
      });
      expect(await readJson(moved)).toMatchObject({
        excluded_starts: ['2026-03-09T22:00:00.000Z'],
        extra_starts: ['2026-03-05T21:00:00.000Z', '2026-03-12T13:00:00.000Z'],
      });
      const occurrences = await readJson(
        await t.request('/v1/events/occurrences?from=2026-03-01&to=2026-03-20'),
      );
      expect(occurrences.data.map((o: { starts_at: string }) => o.starts_at)).toEqual([
        '2026-03-02T22:00:00.000Z',
        '2026-03-05T21:00:00.000Z',
        '2026-03-12T13:00:00.000Z',
        '2026-03-16T22:00:00.000Z',
      ]);
    });
  });

  it('stops a stored rule that never occurs at the step budget, with 422', async () => {
    // Stored before rules were checked: it walks to the year 9999 without yielding.
    await t.deps.db.execute(sql`
      insert into events (id, kind, title, starts_at, ends_at, rrule)
      values (gen_random_uuid(), 'other', 'never', '2026-01-01T00:00:00Z',
              '2026-01-01T01:00:00Z', 'FREQ=DAILY;BYMONTH=13')`);
    await expectProblem(
      await t.request('/v1/events/occurrences?from=2026-03-01&to=2026-04-01'),
      422,
      'range_too_large',
    );
  });
});
