import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { rowsOf } from '../../../src/db/json-param';
import { expectProblem } from '../../helpers/problem';
import { readJson } from '../../helpers/read-json';
import { startTestApp, type TestApp } from '../../helpers/test-app';

// Mondays at 21:00 in New York: Tuesday 02:00Z in winter, 01:00Z from 8 March.
const evening = {
  kind: 'release',
  title: 'Evening release',
  starts_at: '2026-03-02T21:00:00-05:00',
  ends_at: '2026-03-02T22:00:00-05:00',
  rrule: 'FREQ=WEEKLY;COUNT=6',
  time_zone: 'America/New_York',
};

describe('conditional writes of an event (ETag, If-Match)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    await t.deps.db.execute(sql`truncate events, idempotency_keys cascade`);
  });

  const create = async (json: unknown = evening) => {
    const response = await t.request('/v1/events', { method: 'POST', json });
    expect(response.status).toBe(201);
    return { event: await readJson(response), etag: response.headers.get('etag') ?? '' };
  };
  const put = (id: string, json: unknown, headers: Record<string, string> = {}) =>
    t.request(`/v1/events/${id}`, { method: 'PUT', json, headers });
  const remove = (id: string, headers: Record<string, string> = {}) =>
    t.request(`/v1/events/${id}`, { method: 'DELETE', headers });
  /** The stored row, every column, to compare before and after a refused write. */
  const stored = async (id: string) =>
    rowsOf<Record<string, unknown>>(
      await t.deps.db.execute(sql`select * from events where id = ${id}`),
    )[0];
  const starts = async () =>
    (
      await readJson(await t.request('/v1/events/occurrences?from=2026-03-01&to=2026-04-15'))
    ).data.map((o: { starts_at: string }) => o.starts_at);

  it('answers its creation, its GET and each replace with a strong ETag that moves with every write', async () => {
    const { event, etag } = await create();
    expect(etag).toMatch(/^"[^"]+"$/);
    const read = await t.request(`/v1/events/${event.id}`);
    expect(read.headers.get('etag')).toBe(etag);

    const renamed = await put(event.id, { ...evening, title: 'Evening release train' });
    expect(renamed.status).toBe(200);
    const next = renamed.headers.get('etag');
    expect(next).toMatch(/^"[^"]+"$/);
    expect(next).not.toBe(etag);
    expect((await t.request(`/v1/events/${event.id}`)).headers.get('etag')).toBe(next);
    // The same body again at the same moment shows nothing new, so its validator stays; a
    // moment later it is a write that moves updated_at, and the validator with it.
    const same = await put(event.id, { ...evening, title: 'Evening release train' });
    expect(same.headers.get('etag')).toBe(next);
    t.clock.advance(1_000);
    const later = await put(event.id, { ...evening, title: 'Evening release train' });
    expect(later.headers.get('etag')).not.toBe(next);
  });

  it('answers a GET whose If-None-Match names its ETag with 304, no body and the ETag; a changed event in full', async () => {
    const { event, etag } = await create();
    const get = (ifNoneMatch: string) =>
      t.request(`/v1/events/${event.id}`, { headers: { 'if-none-match': ifNoneMatch } });
    // Weak comparison (RFC 9110 §13.1.2): a copy a proxy marked weak still earns its 304.
    for (const ifNoneMatch of [etag, `W/${etag}`, `"elsewhere", ${etag}`, '*']) {
      const unchanged = await get(ifNoneMatch);
      expect(unchanged.status, ifNoneMatch).toBe(304);
      expect(unchanged.headers.get('etag')).toBe(etag);
      expect(await unchanged.text()).toBe('');
    }
    expect((await get('"elsewhere"')).status).toBe(200);

    const renamed = await put(event.id, { ...evening, title: 'Renamed since' });
    const fresh = await get(etag);
    expect(fresh.status).toBe(200);
    expect((await readJson(fresh)).title).toBe('Renamed since');
    expect(fresh.headers.get('etag')).toBe(renamed.headers.get('etag'));
  });

  it('moves the ETag when an .ics import, a holidays import or a reason joining another changes the event', async () => {
    const etagOf = async (id: string) =>
      (await t.request(`/v1/events/${id}`)).headers.get('etag') ?? '';
    const only = async (origin: string) =>
      rowsOf<{ id: string }>(
        await t.deps.db.execute(sql`select id from events where origin = ${origin} limit 1`),
      )[0]?.id ?? '';

    const feed = [
      'BEGIN:VCALENDAR',
      'VERSION:2.0',
      'BEGIN:VEVENT',
      'UID:release-1@example.com',
      'SUMMARY:Spring release',
      'DTSTART:20260701T060000Z',
      'DTEND:20260701T070000Z',
      'END:VEVENT',
      'END:VCALENDAR',
      '',
    ].join('\r\n');
    const importFeed = () =>
      t.request('/v1/events/ics', {
        method: 'POST',
        body: feed,
        headers: { 'content-type': 'text/calendar' },
      });
    expect((await importFeed()).status).toBe(200);
    const imported = await only('ics');
    const fromFeed = await etagOf(imported);
    t.clock.advance(1_000);
    expect((await readJson(await importFeed())).updated).toBe(1);
    expect(await etagOf(imported)).not.toBe(fromFeed);

    const holidays = () =>
      t.request('/v1/events/holidays', { method: 'POST', json: { country: 'DE', years: [2026] } });
    expect((await holidays()).status).toBe(200);
    const holiday = await only('holidays');
    const fromCalendar = await etagOf(holiday);
    t.clock.advance(1_000);
    // Imported again as stored, it is left alone; one changed since is put back, a new version.
    expect((await readJson(await holidays())).unchanged).toBeGreaterThan(0);
    expect(await etagOf(holiday)).toBe(fromCalendar);
    await t.deps.db.execute(sql`update events set title = 'Renamed' where id = ${holiday}`);
    const retitled = await etagOf(holiday);
    expect(retitled).not.toBe(fromCalendar);
    expect((await readJson(await holidays())).updated).toBe(1);
    expect(await etagOf(holiday)).not.toBe(retitled);

    for (const slug of ['outage', 'downtime']) {
      await t.request(`/v1/reasons/${slug}`, { method: 'PUT', json: { label: slug } });
    }
    const { event, etag } = await create({ ...evening, affected_reasons: ['downtime'] });
    const joined = await t.request('/v1/reasons/outage', {
      method: 'PUT',
      json: { label: 'Outage', aliases: ['downtime'] },
    });
    expect(joined.status).toBe(200);
    const renamed = await t.request(`/v1/events/${event.id}`);
    expect((await readJson(renamed)).affected_reasons).toEqual(['outage']);
    expect(renamed.headers.get('etag')).not.toBe(etag);
  });

  it('replaces with a current If-Match, and refuses a stale or weak one with 412, changing nothing', async () => {
    const { event, etag } = await create();
    const first = await put(event.id, { ...evening, title: 'Renamed once' }, { 'if-match': etag });
    expect(first.status).toBe(200);
    const current = first.headers.get('etag') ?? '';

    const before = await stored(event.id);
    const stale = await put(event.id, { ...evening, title: 'Lost update' }, { 'if-match': etag });
    const problem = await expectProblem(stale, 412, 'precondition_failed');
    expect(problem.detail).toContain(event.id);
    // Strong comparison (RFC 9110 §13.1.1): a weak tag never matches, whatever it names.
    const weak = await expectProblem(
      await put(event.id, { ...evening, title: 'Lost update' }, { 'if-match': `W/${current}` }),
      412,
      'precondition_failed',
    );
    // It names the version stored: reading again and sending it weak again would loop, so the
    // answer says why it failed and what to send instead.
    expect(weak.detail).toContain(`W/${current} is a weak tag`);
    expect(weak.detail).toContain(`send ${current}`);
    expect(await stored(event.id)).toEqual(before);

    // A list matches when any of its tags does.
    const listed = await put(
      event.id,
      { ...evening, title: 'Renamed twice' },
      { 'if-match': `${etag}, "elsewhere",${current}` },
    );
    expect(listed.status).toBe(200);
    expect((await readJson(listed)).title).toBe('Renamed twice');
  });

  it('replaces and deletes an existing event with If-Match: *, and answers 404 for a missing one whatever If-Match says', async () => {
    const { event } = await create();
    const replaced = await put(event.id, { ...evening, title: 'Any version' }, { 'if-match': '*' });
    expect(replaced.status).toBe(200);
    expect(replaced.headers.get('etag')).toMatch(/^"[^"]+"$/);
    expect((await remove(event.id, { 'if-match': '*' })).status).toBe(204);
    expect(await stored(event.id)).toBeUndefined();
    await expectProblem(await put(event.id, evening, { 'if-match': '*' }), 404, 'not_found');
    await expectProblem(await remove(event.id, { 'if-match': '"1"' }), 404, 'not_found');
  });

  it('deletes only with a current If-Match: a stale one is a 412 and the event stays', async () => {
    const { event, etag } = await create();
    const renamed = await put(event.id, { ...evening, title: 'Renamed' });
    const before = await stored(event.id);
    await expectProblem(await remove(event.id, { 'if-match': etag }), 412, 'precondition_failed');
    expect(await stored(event.id)).toEqual(before);
    const current = renamed.headers.get('etag') ?? '';
    expect((await remove(event.id, { 'if-match': current })).status).toBe(204);
    expect(await stored(event.id)).toBeUndefined();
  });

  it('refuses a series move retried with the If-Match read before it: its cancelled occurrence stays cancelled', async () => {
    const { event, etag } = await create({
      ...evening,
      excluded_starts: ['2026-03-09T21:00:00-04:00'],
    });
    // An hour later, excluded starts sent back as read: the stored one moves with the series.
    const move = {
      ...evening,
      starts_at: '2026-03-02T22:00:00-05:00',
      ends_at: '2026-03-02T23:00:00-05:00',
      excluded_starts: event.excluded_starts,
    };
    const first = await put(event.id, move, { 'if-match': etag });
    expect(first.status).toBe(200);
    expect((await readJson(first)).excluded_starts).toEqual(['2026-03-10T02:00:00.000Z']);
    const moved = await stored(event.id);

    // The answer was lost; the script sends the same request again.
    await expectProblem(
      await put(event.id, move, { 'if-match': etag }),
      412,
      'precondition_failed',
    );
    expect(await stored(event.id)).toEqual(moved);
    expect((await readJson(await t.request(`/v1/events/${event.id}`))).excluded_starts).toEqual([
      '2026-03-10T02:00:00.000Z',
    ]);
    expect(await starts()).not.toContain('2026-03-10T02:00:00.000Z');
  });

  it('refuses an If-Match it cannot read with 400 naming the header, before claiming the Idempotency-Key', async () => {
    const { event, etag } = await create();
    const before = await stored(event.id);
    for (const value of ['', '1', '"1" "2"', '*, "1"', 'W/1', '"a"b', '"a b"', ' , ']) {
      const refused = await put(
        event.id,
        { ...evening, title: 'Unread' },
        { 'if-match': value, 'idempotency-key': 'malformed' },
      );
      const problem = await expectProblem(refused, 400, 'validation_failed');
      expect(problem.errors, JSON.stringify(value)).toEqual([
        expect.objectContaining({ location: 'header', path: 'If-Match' }),
      ]);
    }
    expect(await stored(event.id)).toEqual(before);
    // Not kept as the key's answer: the same key with an If-Match that reads runs.
    const fixed = await put(
      event.id,
      { ...evening, title: 'Unread' },
      { 'if-match': etag, 'idempotency-key': 'malformed' },
    );
    expect(fixed.status).toBe(200);
    expect(fixed.headers.get('idempotent-replayed')).toBeNull();
  });

  describe('with an Idempotency-Key', () => {
    it('does not keep a 412 as the key’s answer: the same key with the current If-Match then runs', async () => {
      const { event, etag } = await create();
      const other = await put(event.id, { ...evening, title: 'Changed by someone else' });
      const body = { ...evening, title: 'Mine' };
      const headers = { 'if-match': etag, 'idempotency-key': 'rename-mine' };
      await expectProblem(await put(event.id, body, headers), 412, 'precondition_failed');
      // Sent again as it was: refused again for the same reason, not replayed.
      const again = await put(event.id, body, headers);
      await expectProblem(again, 412, 'precondition_failed');
      expect(again.headers.get('idempotent-replayed')).toBeNull();
      expect((await stored(event.id))?.title).toBe('Changed by someone else');

      const current = other.headers.get('etag') ?? '';
      const saved = await put(event.id, body, { ...headers, 'if-match': current });
      expect(saved.status).toBe(200);
      expect(saved.headers.get('idempotent-replayed')).toBeNull();
      expect((await readJson(saved)).title).toBe('Mine');
    });

    it('replays a kept answer with its ETag, however stale the If-Match sent with the retry', async () => {
      const { event, etag } = await create();
      const headers = { 'if-match': etag, 'idempotency-key': 'rename-once' };
      const first = await put(event.id, { ...evening, title: 'Once' }, headers);
      expect(first.status).toBe(200);
      expect(first.headers.get('etag')).toMatch(/^"[^"]+"$/);
      const retry = await put(event.id, { ...evening, title: 'Once' }, headers);
      expect(retry.status).toBe(200);
      expect(retry.headers.get('idempotent-replayed')).toBe('true');
      expect(retry.headers.get('etag')).toBe(first.headers.get('etag'));
      expect(await readJson(retry)).toEqual(await readJson(first));
    });
  });
});
