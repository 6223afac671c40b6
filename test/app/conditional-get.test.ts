import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { honoListener } from '../../src/node-server';
import { expectProblem } from '../helpers/problem';
import { readJson } from '../helpers/read-json';
import { startTestApp, type TestApp } from '../helpers/test-app';

// What differs from one answer to the next, or belongs to a body: a 304 has none.
const OWN = new Set(['date', 'x-request-id', 'content-length', 'content-type', 'keep-alive']);
const kept = (response: Response) =>
  Object.fromEntries([...response.headers].filter(([name]) => !OWN.has(name)));

describe('GET with If-None-Match, over HTTP as npm start serves the app', () => {
  let t: TestApp;
  let url: string;
  let close: () => Promise<void>;
  let opsKey: string;
  let appKey: string;
  const paths: Record<string, string> = {};

  beforeAll(async () => {
    t = await startTestApp({ env: { CORS_ORIGINS: 'https://app.example.com' } });
    opsKey = await t.keyFor('ops');
    appKey = await t.keyFor('app');
    const server = createServer(honoListener(t.app));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    close = () => new Promise<void>((resolve) => server.close(() => resolve()));

    const created = async (path: string, json: unknown) => {
      const response = await t.request(path, { method: 'POST', json });
      expect(response.status, path).toBeLessThan(300);
      return readJson(response);
    };
    const event = await created('/v1/events', {
      kind: 'release',
      title: 'Evening release',
      starts_at: '2026-03-10T18:00:00Z',
      ends_at: '2026-03-10T19:00:00Z',
    });
    const campaign = await created('/v1/campaigns', {
      channels: ['banner'],
      title: 'Invoices late',
      audience: { type: 'all' },
    });
    await created('/v1/accounts/batch', { accounts: [{ id: 'acme' }] });
    paths.event = `/v1/events/${event.id}`;
    paths.campaign = `/v1/campaigns/${campaign.id}`;
    paths.status = '/api/v2/summary.json';
    paths.uptime = '/status/uptime.json';
    // Through the Hono route (a query string): the fast path is compared with it elsewhere.
    paths.notices = '/v1/accounts/acme/notices?locale=en';
  });
  afterAll(async () => {
    await close();
    await t.close();
  });

  const get = (path: string, headers: Record<string, string> = {}) =>
    fetch(`${url}${path}`, {
      headers: {
        authorization: `Bearer ${path.includes('/notices') ? appKey : opsKey}`,
        origin: 'https://app.example.com',
        ...headers,
      },
    });

  it('answers 304 with no body and no Content-Type, and every other header the 200 has', async () => {
    for (const [name, path] of Object.entries(paths)) {
      const full = await get(path);
      expect(full.status, name).toBe(200);
      await full.arrayBuffer();
      const etag = full.headers.get('etag') ?? '';
      expect(etag, name).toMatch(/^"[^"]+"$/);

      const unchanged = await get(path, { 'if-none-match': etag });
      expect(unchanged.status, name).toBe(304);
      expect(await unchanged.text(), name).toBe('');
      expect(unchanged.headers.get('content-type'), name).toBeNull();
      expect(kept(unchanged), name).toEqual(kept(full));
    }
    // What the 200s carry besides the ETag, so the comparison above means something.
    expect((await get(paths.status ?? '')).headers.get('cache-control')).toBe('public, max-age=30');
    expect((await get(paths.notices ?? '')).headers.get('vary')).toBe('Origin');
  });

  it('ignores an If-None-Match that is not * or a list of entity-tags, where If-Match is a 400', async () => {
    for (const [name, path] of Object.entries(paths)) {
      const etag = (await get(path)).headers.get('etag') ?? '';
      const bare = etag.slice(1, -1);
      for (const unreadable of [bare, `${etag} ${etag}`, `${etag}, ${bare}`]) {
        const answer = await get(path, { 'if-none-match': unreadable });
        expect(answer.status, `${name}: ${unreadable}`).toBe(200);
        expect(answer.headers.get('etag')).toBe(etag);
      }
    }
    const campaign = await t.request(paths.campaign ?? '');
    const etag = campaign.headers.get('etag') ?? '';
    await expectProblem(
      await t.request(paths.campaign ?? '', {
        method: 'PATCH',
        key: opsKey,
        json: { title: 'Invoices very late' },
        headers: { 'if-match': `${etag}, ${etag.slice(1, -1)}` },
      }),
      400,
      'validation_failed',
    );
  });
});
