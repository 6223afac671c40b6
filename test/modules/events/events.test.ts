import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { expectProblem } from '../../helpers/problem';
import { readJson } from '../../helpers/read-json';
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
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    await t.deps.db.execute(sql`truncate events cascade`);
  });

  const create = (json: unknown) => t.request('/v1/events', { method: 'POST', json });

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

  it.each([
    ['an unparseable rule', { rrule: 'FREQ=SOMETIMES' }, 'rrule'],
    ['a sub-daily rule', { rrule: 'FREQ=HOURLY' }, 'rrule'],
    [
      'a rule with its own DTSTART',
      { rrule: 'DTSTART:20260101T000000Z\nRRULE:FREQ=DAILY' },
      'rrule',
    ],
    ['an end before the start', { ends_at: '2025-12-31T00:00:00Z' }, 'ends_at'],
    ['an unknown kind', { kind: 'party' }, 'kind'],
    ['a time without offset', { starts_at: '2026-01-01T06:00:00' }, 'starts_at'],
  ])('rejects %s and saves nothing', async (_, overrides, field) => {
    const body = await expectProblem(
      await create({ ...billingRun, ...overrides }),
      400,
      'validation_failed',
    );
    expect(body.errors.map((e: { path: string }) => e.path)).toContain(field);
    const listed = await readJson(await t.request('/v1/events'));
    expect(listed.data).toEqual([]);
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
    expect(again).toEqual({ imported: 0, updated: counts.imported });
    const occurrences = await readJson(
      await t.request('/v1/events/occurrences?from=2020-12-24&to=2020-12-27&kind=holiday'),
    );
    expect(occurrences.data.map((o: { title: string }) => o.title)).toEqual([
      'Christmas Day (US-NY)',
    ]);
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

  it('refuses a range with too many occurrences', async () => {
    await create({ ...billingRun, rrule: 'FREQ=DAILY' });
    await expectProblem(
      await t.request('/v1/events/occurrences?from=2026-01-01&to=2045-01-01'),
      400,
      'validation_failed',
    );
  });
});
