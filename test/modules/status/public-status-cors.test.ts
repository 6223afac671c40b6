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
