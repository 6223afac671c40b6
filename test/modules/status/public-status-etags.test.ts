import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { readJson } from '../../helpers/read-json';
import { startTestApp, type TestApp } from '../../helpers/test-app';

const STATUSPAGE_JSON = [
  '/api/v2/summary.json',
  '/api/v2/status.json',
  '/api/v2/components.json',
  '/api/v2/incidents.json',
  '/api/v2/incidents/unresolved.json',
  '/api/v2/scheduled-maintenances.json',
  '/api/v2/scheduled-maintenances/upcoming.json',
  '/api/v2/scheduled-maintenances/active.json',
];
const PAGES = ['/status', '/status/history.atom', '/status/history.rss'];

describe('public status ETags: the same while nothing changes, new when something does', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    await t.deps.db.execute(sql`truncate incidents, status_components, campaigns cascade`);
    t.clock.set('2026-03-02T09:00:00Z');
  });

  const etagsOf = async (paths: string[]) => {
    const etags: Record<string, string | null> = {};
    for (const path of paths) {
      const answer = await t.request(path, { key: null });
      expect(answer.status, path).toBe(200);
      etags[path] = answer.headers.get('etag');
    }
    return etags;
  };
  const notModified = async (etags: Record<string, string | null>) => {
    const statuses: Record<string, number> = {};
    for (const [path, etag] of Object.entries(etags)) {
      const answer = await t.request(path, { key: null, headers: { 'if-none-match': etag ?? '' } });
      statuses[path] = answer.status;
    }
    return statuses;
  };
  const all304 = (paths: string[]) => Object.fromEntries(paths.map((path) => [path, 304]));

  it('answers 304 on an empty page however much later the same request comes', async () => {
    const paths = [...STATUSPAGE_JSON, ...PAGES, '/status/uptime.json'];
    const etags = await etagsOf(paths);
    t.clock.advance(61_000);
    expect(await notModified(etags)).toEqual(all304(paths));
    // Days later only the uptime window has moved.
    t.clock.advance(3 * 86_400_000);
    const later = await notModified(etags);
    expect(later).toEqual({ ...all304(paths), '/status/uptime.json': 200 });
  });

  it('answers 304 while nothing changes, and 200 after an update, a component change or a maintenance starting by the clock', async () => {
    const paths = [...STATUSPAGE_JSON, ...PAGES];
    const api = await readJson(
      await t.request('/v1/status/components', { method: 'POST', json: { name: 'API' } }),
    );
    const incident = await readJson(
      await t.request('/v1/status/incidents', {
        method: 'POST',
        json: { name: 'Slow API', body: 'Looking.', notify_accounts: false },
      }),
    );
    const maintenance = await t.request('/v1/status/maintenances', {
      method: 'POST',
      json: {
        name: 'Upgrade',
        body: 'Read-only.',
        scheduled_for: '2026-03-02T12:00:00Z',
        scheduled_until: '2026-03-02T13:00:00Z',
        components: [api.id],
        notify_accounts: false,
      },
    });
    expect(maintenance.status).toBe(201);

    // At the very moment a component is added its uptime has no data yet; a minute on, it has.
    t.clock.advance(60_000);
    const before = await etagsOf(paths);
    t.clock.advance(10 * 60_000);
    expect(await notModified(before)).toEqual(all304(paths));

    await t.request(`/v1/status/incidents/${incident.id}/updates`, {
      method: 'POST',
      json: { status: 'identified', body: 'Found it.' },
    });
    const afterUpdate = await notModified(before);
    for (const path of [
      '/api/v2/summary.json',
      '/api/v2/incidents.json',
      '/api/v2/incidents/unresolved.json',
      ...PAGES,
    ]) {
      expect(afterUpdate[path], path).toBe(200);
    }

    t.clock.advance(60_000);
    const beforeComponent = await etagsOf(paths);
    await t.request(`/v1/status/components/${api.id}`, {
      method: 'PATCH',
      json: { status: 'degraded_performance' },
    });
    const afterComponent = await notModified(beforeComponent);
    for (const path of [
      '/api/v2/summary.json',
      '/api/v2/status.json',
      '/api/v2/components.json',
      '/status',
    ]) {
      expect(afterComponent[path], path).toBe(200);
    }

    await t.request(`/v1/status/components/${api.id}`, {
      method: 'PATCH',
      json: { status: 'operational' },
    });
    const beforeWindow = await etagsOf(paths);
    t.clock.set('2026-03-02T12:00:00Z');
    const inWindow = await notModified(beforeWindow);
    for (const path of [
      '/api/v2/summary.json',
      '/api/v2/components.json',
      '/api/v2/scheduled-maintenances.json',
      '/api/v2/scheduled-maintenances/upcoming.json',
      '/api/v2/scheduled-maintenances/active.json',
      ...PAGES,
    ]) {
      expect(inWindow[path], path).toBe(200);
    }
  });
});
