import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mondayOf } from '../../../src/modules/reasons/weeks';
import { refreshVerdicts } from '../../../src/modules/spikes/refresh-verdicts';
import { expectProblem } from '../../helpers/problem';
import { type JsonBody, readJson } from '../../helpers/read-json';
import { recordingThreadCompute } from '../../helpers/recording-compute';
import { startTestApp, type TestApp } from '../../helpers/test-app';
import { ingestAll, ticket } from '../../helpers/tickets';

describe('GET /v1/patterns', () => {
  let t: TestApp;
  let body: JsonBody;

  beforeAll(async () => {
    t = await startTestApp();
    t.clock.set('2026-03-04T12:00:00Z');
    // 60 weeks of everyday contacts, and a burst about billing after each monthly billing run.
    const tickets = [];
    let id = 0;
    for (let day = 0; day < 7 * 60; day++) {
      const date = new Date(Date.UTC(2025, 0, 6) + day * 86_400_000);
      const billing = 2 + (day % 2) + (date.getUTCDate() <= 3 ? 9 : 0);
      for (let i = 0; i < billing; i++) {
        tickets.push(
          ticket(id++, { reason: 'Billing', account_id: `a${id}`, created_at: date.toISOString() }),
        );
      }
      for (let i = 0; i < 2 + (day % 3); i++) {
        tickets.push(
          ticket(id++, { reason: 'Login', account_id: `a${id}`, created_at: date.toISOString() }),
        );
      }
    }
    await ingestAll(t, tickets);
    for (const event of [
      {
        kind: 'billing_run',
        title: 'Monthly billing run',
        starts_at: '2025-01-01T00:00:00Z',
        ends_at: '2025-01-01T06:00:00Z',
        rrule: 'FREQ=MONTHLY;BYMONTHDAY=1',
        lag_days: 3,
        affected_reasons: ['billing'],
      },
      {
        kind: 'release',
        title: 'App 4.2',
        starts_at: '2025-06-10T09:00:00Z',
        ends_at: '2025-06-10T10:00:00Z',
      },
      {
        kind: 'release',
        title: 'App 4.3',
        starts_at: '2025-09-16T09:00:00Z',
        ends_at: '2025-09-16T10:00:00Z',
      },
    ]) {
      expect((await t.request('/v1/events', { method: 'POST', json: event })).status).toBe(201);
    }
    await refreshVerdicts(t.deps);
    const response = await t.request('/v1/patterns?weeks=52');
    expect(response.status).toBe(200);
    body = await readJson(response);
  });
  afterAll(() => t.close());

  it('ranks the billing run first, with the excess it brings and its next occurrence', () => {
    expect(body.patterns.length).toBeGreaterThan(0);
    const [top] = body.patterns;
    expect(top).toMatchObject({
      group: { type: 'event', kind: 'billing_run', title: 'Monthly billing run' },
      reason: 'billing',
      next_occurrence: { starts_at: '2026-04-01T00:00:00.000Z' },
    });
    expect(top?.expected_contacts_next).toBeGreaterThan(15);
    expect(top?.expected_contacts_next).toBeLessThan(40);
    expect(top.occurrences_seen).toBeGreaterThanOrEqual(10);
    expect(top.occurrences_with_excess / top.occurrences_seen).toBeGreaterThanOrEqual(0.6);
    expect(top.evidence).toHaveLength(top.occurrences_seen);
    expect(top?.suggestion).toMatchObject({ channels: ['email', 'banner'], start_days_before: 3 });
  });

  it('does not call events that bring no extra contacts a pattern', () => {
    const found = body.patterns.map((p: JsonBody) => `${p.group.kind}/${p.reason}`);
    expect(found).not.toContain('release/login');
    expect(found).not.toContain('release/billing');
    expect(found.filter((f: string) => f.endsWith('/login'))).toEqual([]);
  });

  it('starts windows derived from the earliest dates a caller may name no earlier than 1900', async () => {
    const patterns = await readJson(await t.request('/v1/patterns?as_of=1900-01-01'));

    expect(patterns.from).toBe('1900-01-01');
    const spikes = await readJson(await t.request('/v1/spikes?to=1900-01-08'));
    expect(spikes.from).toBe('1900-01-01');
    const weekly = await readJson(await t.request('/v1/reasons/weekly?to=1900-01-01'));
    expect(weekly.weeks[0]).toBe('1900-01-01');
  });

  it('refuses an as_of outside the years it can walk, before any work', async () => {
    // Year 1 once walked weeks forever on the request thread (the ISO strings stop sorting).
    for (const asOf of ['1899-12-31', '2200-01-01', '0001-01-01']) {
      const body = await expectProblem(
        await t.request(`/v1/patterns?as_of=${asOf}`),
        400,
        'validation_failed',
      );
      expect(body.errors).toEqual([
        expect.objectContaining({
          location: 'query',
          path: 'as_of',
          message: 'the year must be from 1900 to 2199',
        }),
      ]);
    }
    expect((await t.request('/v1/patterns?as_of=1900-03-01&weeks=8')).status).toBe(200);
  });

  it('matches over a small calendar on the request thread, a busy one on a compute thread', async () => {
    const { compute, tasks } = recordingThreadCompute();
    const onThreads = await startTestApp({ database: t.database, compute });
    onThreads.clock.set('2026-03-04T12:00:00Z');
    const small = await onThreads.request('/v1/patterns?weeks=52');
    expect(small.status).toBe(200);
    expect(await readJson(small)).toEqual(body);
    expect(tasks).not.toContain('patterns');

    // A daily stand-up over the 60 weeks: hundreds of windows to build.
    const standUp = {
      kind: 'maintenance',
      title: 'Daily stand-up window',
      starts_at: '2025-01-06T08:00:00Z',
      ends_at: '2025-01-06T08:15:00Z',
      rrule: 'FREQ=DAILY',
      affected_reasons: ['login'],
    };
    expect((await t.request('/v1/events', { method: 'POST', json: standUp })).status).toBe(201);
    const busy = await onThreads.request('/v1/patterns?weeks=52');
    expect(busy.status).toBe(200);
    expect(tasks).toContain('patterns');
    expect(await readJson(busy)).toEqual(await readJson(await t.request('/v1/patterns?weeks=52')));
  });

  it('counts a week once however many occurrences of an event fall in it', async () => {
    // A job on the first three days of every month, each day an occurrence of its own.
    const job = {
      kind: 'other',
      title: 'Statement job',
      starts_at: '2025-01-01T02:00:00Z',
      ends_at: '2025-01-01T03:00:00Z',
      rrule: 'FREQ=DAILY;BYMONTHDAY=1,2,3',
      affected_reasons: ['billing'],
    };
    const created = await readJson(await t.request('/v1/events', { method: 'POST', json: job }));
    const found = await readJson(await t.request('/v1/patterns?weeks=52'));
    const pattern = found.patterns.find((p: JsonBody) => p.group.event_id === created.id);
    expect(pattern).toBeDefined();
    const weeksOf = (e: JsonBody) =>
      `${mondayOf(e.starts_at.slice(0, 10))}..${mondayOf(e.ends_at.slice(0, 10))}`;
    const spans = pattern.evidence.map(weeksOf);
    // About 36 occurrences in the year, in 12–24 distinct runs of weeks.
    expect(spans.length).toBeGreaterThanOrEqual(12);
    expect(spans.length).toBeLessThanOrEqual(24);
    expect(spans.every((span: string, i: number) => span !== spans[i - 1])).toBe(true);
    expect(pattern.occurrences_seen).toBe(spans.length);
  });

  it('counts a week once when several one-off events of a kind fall in it', async () => {
    // Three maintenance windows in the week of a billing run, and one in the next run's week.
    for (const day of ['2025-07-01', '2025-07-02', '2025-07-03', '2025-08-01']) {
      const window = {
        kind: 'maintenance',
        title: `Maintenance ${day}`,
        starts_at: `${day}T01:00:00Z`,
        ends_at: `${day}T02:00:00Z`,
        affected_reasons: ['billing'],
      };
      expect((await t.request('/v1/events', { method: 'POST', json: window })).status).toBe(201);
    }
    const found = await readJson(await t.request('/v1/patterns?weeks=52'));
    const pattern = found.patterns.find(
      (p: JsonBody) => p.group.type === 'kind' && p.group.kind === 'maintenance',
    );
    expect(pattern?.evidence.map((e: JsonBody) => e.starts_at.slice(0, 10))).toEqual([
      '2025-07-01',
      '2025-08-01',
    ]);
  });
});
