import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { threadDetectionRunner } from '../../../src/modules/spikes/detection-thread';
import { refreshVerdicts } from '../../../src/modules/spikes/refresh-verdicts';
import { threadCompute } from '../../../src/threads/thread-compute';
import { readJson } from '../../helpers/read-json';
import { startTestApp, type TestApp } from '../../helpers/test-app';

const REASONS = 40;
const WEEKS = 520;

describe('refreshing spike verdicts', () => {
  let t: TestApp;
  let appKey: string;

  beforeAll(async () => {
    t = await startTestApp({ detection: threadDetectionRunner(threadCompute()) });
    appKey = await t.keyFor('app');
    await t.request('/v1/accounts/acct-1', { method: 'PUT', json: { plan: 'pro' } });
    // Ten years of 40 reasons, straight into the weekly rollup (the triggers mark them).
    await t.deps.db.execute(sql`
      insert into reasons (slug, label)
      select 'reason-' || r, 'Reason ' || r from generate_series(1, ${REASONS}) as r`);
    await t.deps.db.execute(sql`
      insert into reason_weeks (reason_slug, week, contacts)
      select 'reason-' || r, date '2015-01-05' + 7 * w,
        (20 + 10 * r + 8 * sin(w / 8.3 + r) + (w * 7919 + r * 104729) % 13)::int
      from generate_series(1, ${REASONS}) as r, generate_series(0, ${WEEKS - 1}) as w`);
    t.clock.set('2026-01-07T12:00:00Z');
  });
  afterAll(() => t.close());

  it('fits on a worker thread: /health and the notices API keep answering meanwhile', async () => {
    const started = performance.now();
    let finished = false;
    const refresh = refreshVerdicts(t.deps).finally(() => {
      finished = true;
    });
    const waits: number[] = [];
    while (!finished) {
      const asked = performance.now();
      const [health, notices] = await Promise.all([
        t.request('/health', { key: null }),
        t.request('/v1/accounts/acct-1/notices', { key: appKey }),
      ]);
      expect(health.status).toBe(200);
      expect(notices.status).toBe(200);
      waits.push(performance.now() - asked);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const took = performance.now() - started;
    expect(await refresh).toEqual({ reasons: REASONS });
    // Fitting inline would hold one of these calls for the whole fit.
    expect(waits.length).toBeGreaterThan(10);
    expect(Math.max(...waits)).toBeLessThan(took / 4);
  });

  it('holds a recompute until it is done when asked to wait (RFC 7240), else answers at once', async () => {
    const queued = await t.request('/v1/spikes/recompute', { method: 'POST' });
    expect(queued.status).toBe(202);
    expect(await queued.json()).toEqual({ pending: true });
    const waited = await t.request('/v1/spikes/recompute', {
      method: 'POST',
      headers: { prefer: 'respond-async, wait=25' },
    });
    expect(waited.status).toBe(200);
    expect(waited.headers.get('preference-applied')).toBe('wait=25');
    expect(await waited.json()).toEqual({ pending: false });
    const week = '2024-06-03';
    const state = await readJson(await t.request(`/v1/spikes?from=${week}&to=${week}`));
    expect(state.pending).toBe(false);
  });

  it('refreshes after a calendar or alias change without waiting for the minute job', async () => {
    const week = '2024-06-03';
    const settledWithin = async (ms: number) => {
      const deadline = performance.now() + ms;
      while (performance.now() < deadline) {
        const state = await readJson(await t.request(`/v1/spikes?from=${week}&to=${week}`));
        if (!state.pending) return true;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      return false;
    };
    const created = await t.request('/v1/events', {
      method: 'POST',
      json: {
        kind: 'release',
        title: 'App 9',
        starts_at: '2024-06-04T09:00:00Z',
        ends_at: '2024-06-04T10:00:00Z',
        affected_reasons: ['Reason 1'],
      },
    });
    expect(created.status).toBe(201);
    expect(await settledWithin(20_000)).toBe(true);

    const aliased = await t.request('/v1/reasons/reason-2', {
      method: 'PUT',
      json: { label: 'Reason 2', aliases: ['reason-3'] },
    });
    expect(aliased.status).toBe(200);
    expect(await settledWithin(20_000)).toBe(true);
  });
});
