import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveTestApp } from '../../helpers/serve-app';
import { startTestApp, type TestApp } from '../../helpers/test-app';

const PUBLIC_JSON = [
  '/api/v2/summary.json',
  '/api/v2/status.json',
  '/api/v2/components.json',
  '/api/v2/incidents.json',
  '/api/v2/incidents/unresolved.json',
  '/api/v2/scheduled-maintenances.json',
  '/api/v2/scheduled-maintenances/upcoming.json',
  '/api/v2/scheduled-maintenances/active.json',
  '/status/uptime.json',
];
const WIDGET = 'https://widget.example.net';

describe('public status JSON read by a widget on another origin', () => {
  let t: TestApp;
  let served: Awaited<ReturnType<typeof serveTestApp>>;
  beforeAll(async () => {
    t = await startTestApp();
    served = await serveTestApp(t);
  });
  afterAll(async () => {
    await served?.close();
    await t?.close();
  });

  it('answers the preflight of a conditional GET from any origin, without credentials', async () => {
    for (const path of PUBLIC_JSON) {
      const preflight = await fetch(served.url + path, {
        method: 'OPTIONS',
        headers: {
          origin: WIDGET,
          'access-control-request-method': 'GET',
          'access-control-request-headers': 'if-none-match',
        },
      });
      expect(preflight.status, path).toBe(204);
      expect(preflight.headers.get('access-control-allow-origin'), path).toBe('*');
      expect(preflight.headers.get('access-control-allow-methods'), path).toContain('GET');
      expect(preflight.headers.get('access-control-allow-headers')?.toLowerCase(), path).toContain(
        'if-none-match',
      );
      expect(preflight.headers.get('access-control-allow-credentials'), path).toBeNull();
      expect(Number(preflight.headers.get('access-control-max-age')), path).toBeGreaterThan(0);
    }
  });

  it('lets the widget read the ETag and Cache-Control of a 200, and gets a readable 304 for it', async () => {
    for (const path of PUBLIC_JSON) {
      const first = await fetch(served.url + path, { headers: { origin: WIDGET } });
      expect(first.status, path).toBe(200);
      await first.arrayBuffer();
      expect(first.headers.get('access-control-allow-origin'), path).toBe('*');
      const exposed = (first.headers.get('access-control-expose-headers') ?? '').toLowerCase();
      expect(exposed, path).toContain('etag');
      expect(first.headers.get('access-control-allow-credentials'), path).toBeNull();
      const again = await fetch(served.url + path, {
        headers: { origin: WIDGET, 'if-none-match': first.headers.get('etag') ?? '' },
      });
      expect(again.status, path).toBe(304);
      expect(again.headers.get('access-control-allow-origin'), path).toBe('*');
      expect(again.headers.get('access-control-expose-headers')?.toLowerCase(), path).toContain(
        'etag',
      );
    }
  });

  it('lets the widget read an error too: a 400, a 404, and a 503 with its Retry-After', async () => {
    const readable = async (answer: Response, status: number, path: string) => {
      expect(answer.status, path).toBe(status);
      expect(answer.headers.get('access-control-allow-origin'), path).toBe('*');
      expect(answer.headers.get('content-type'), path).toContain('application/problem+json');
      expect(await answer.json(), path).toMatchObject({ status });
    };
    // Refused before any route runs (text Postgres cannot hold): still readable.
    for (const path of [...PUBLIC_JSON, '/status/history.atom', '/status/history.rss']) {
      const refused = `${path}?x=%00`;
      await readable(
        await fetch(served.url + refused, { headers: { origin: WIDGET } }),
        400,
        refused,
      );
    }
    const missing = '/api/v2/incidents/nope.json';
    await readable(
      await fetch(served.url + missing, { headers: { origin: WIDGET } }),
      404,
      missing,
    );
    // The database answers as one with no connection left would (SQLSTATE 53300): a 503.
    await t.request('/v1/status/components', { method: 'POST', json: { name: 'API' } });
    await t.deps.db.execute(sql`
      create function database_too_busy() returns boolean language plpgsql as $$
      begin raise exception 'too many connections' using errcode = '53300'; end $$`);
    await t.deps.db.execute(sql`alter table status_components rename to components_stored`);
    await t.deps.db.execute(
      sql`create view status_components as select * from components_stored where database_too_busy()`,
    );
    try {
      for (const path of [...PUBLIC_JSON, '/status/history.atom', '/status/history.rss']) {
        const busy = await fetch(served.url + path, { headers: { origin: WIDGET } });
        expect(busy.headers.get('retry-after'), path).toMatch(/^\d+$/);
        const exposed = (busy.headers.get('access-control-expose-headers') ?? '').toLowerCase();
        expect(exposed.split(','), path).toContain('retry-after');
        await readable(busy, 503, path);
      }
    } finally {
      await t.deps.db.execute(sql`drop view status_components`);
      await t.deps.db.execute(sql`alter table components_stored rename to status_components`);
    }
  });

  it('still refuses an OPTIONS for a method the public routes do not serve', async () => {
    const preflight = await fetch(`${served.url}/api/v2/status.json`, {
      method: 'OPTIONS',
      headers: { origin: WIDGET, 'access-control-request-method': 'DELETE' },
    });
    expect(preflight.headers.get('access-control-allow-methods') ?? '').not.toContain('DELETE');
    const deleted = await fetch(`${served.url}/api/v2/status.json`, {
      method: 'DELETE',
      headers: { origin: WIDGET },
    });
    expect(deleted.status).toBeGreaterThanOrEqual(400);
  });
});
