import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { rowsOf } from '../../../src/db/json-param';
import { consolidateExposures } from '../../../src/modules/notices/consolidate-exposures';
import { honoListener, withNoticesFastPath } from '../../../src/node-server';
import { publishCampaign, resetNotices } from '../../helpers/notices';
import { readJson } from '../../helpers/read-json';
import { startTestApp, type TestApp } from '../../helpers/test-app';

/**
 * The Node fast path must give exactly the answer of the Hono route it stands in front of:
 * every request below goes to a server with the fast path and to one with the Hono app
 * alone, and the two answers are compared (status, headers, body).
 */

async function listen(server: Server): Promise<{ url: string; close(): Promise<void> }> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

// Differ from one answer to the next whoever serves them, or only frame the body: the fast
// path sends Content-Length where the Hono adapter may stream (chunked).
const VARYING = new Set(['date', 'x-request-id', 'content-length', 'transfer-encoding']);

async function snapshot(response: Response) {
  const headers = Object.fromEntries([...response.headers].filter(([name]) => !VARYING.has(name)));
  const body = await response.text();
  return {
    status: response.status,
    headers,
    body: body.replace(/"instance":"[^"]+"/, '"instance":"…"'),
    requestId: response.headers.get('x-request-id'),
  };
}

describe('notices API on the Node fast path', () => {
  let t: TestApp;
  let appKey: string;
  let campaignId: string;
  let fast: Awaited<ReturnType<typeof listen>>;
  let honoOnly: Awaited<ReturnType<typeof listen>>;
  // Requests the fast path handed on to the Hono app.
  let handedOn: string[] = [];

  beforeAll(async () => {
    t = await startTestApp({ env: { CORS_ORIGINS: 'https://app.example.com' } });
    appKey = await t.keyFor('app');
    const hono = honoListener(t.app);
    fast = await listen(
      createServer(
        withNoticesFastPath(t.deps, (incoming, outgoing) => {
          handedOn.push(`${incoming.method} ${incoming.url}`);
          hono(incoming, outgoing);
        }),
      ),
    );
    honoOnly = await listen(createServer(hono));
  });
  afterAll(async () => {
    await fast.close();
    await honoOnly.close();
    await t.close();
  });
  beforeEach(async () => {
    await resetNotices(t, [
      { id: 'uses-api', components: ['API'], locale: 'fr-CA' },
      { id: 'other', components: ['Dashboard'], locale: 'en' },
    ]);
    const campaign = await publishCampaign(t, {
      channels: ['banner'],
      title: 'API errors',
      body: 'Some **API** requests fail.',
      severity: 'critical',
      audience: { type: 'rule', all: [{ attribute: 'components', op: 'contains', value: 'api' }] },
      locales: { fr: { title: 'Erreurs de l’API', body: 'Certaines requêtes échouent.' } },
      publish: true,
    });
    campaignId = campaign.id;
    handedOn = [];
  });

  /** The same request to both servers: the answers must be the same. */
  const both = async (path: string, headers: Record<string, string> = {}) => {
    const ask = async (server: { url: string }) =>
      snapshot(await fetch(`${server.url}${path}`, { headers }));
    const [viaFastPath, viaHono] = await Promise.all([ask(fast), ask(honoOnly)]);
    expect(viaFastPath.status).toBe(viaHono.status);
    expect(viaFastPath.headers).toEqual(viaHono.headers);
    expect(viaFastPath.body).toBe(viaHono.body);
    return viaFastPath;
  };
  const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

  /** A GET with one header line per value (fetch would join them into one line). */
  const rawGet = (url: string, lines: Record<string, string[]>) =>
    new Promise<{ status: number; headers: Record<string, string>; body: string }>(
      (resolve, reject) => {
        const sent = httpRequest(url, (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('error', reject);
          response.on('end', () => {
            const headers = Object.fromEntries(
              Object.entries(response.headers)
                .filter(([name]) => !VARYING.has(name))
                .map(([name, value]) => [name, String(value)]),
            );
            const body = Buffer.concat(chunks).toString('utf8');
            resolve({
              status: response.statusCode ?? 0,
              headers,
              body: body.replace(/"instance":"[^"]+"/, '"instance":"…"'),
            });
          });
        });
        sent.on('error', reject);
        for (const [name, values] of Object.entries(lines)) sent.setHeader(name, values);
        sent.end();
      },
    );
  const bothRaw = async (path: string, lines: Record<string, string[]>) => {
    const [viaFastPath, viaHono] = await Promise.all([
      rawGet(`${fast.url}${path}`, lines),
      rawGet(`${honoOnly.url}${path}`, lines),
    ]);
    expect(viaFastPath).toEqual(viaHono);
    return viaFastPath;
  };

  it('answers 200 and 304 as the Hono route does, without handing them on', async () => {
    const answer = await both('/v1/accounts/uses-api/notices', bearer(appKey));
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body).notices).toMatchObject([
      { id: campaignId, title: 'Erreurs de l’API' },
    ]);
    expect(answer.headers).toMatchObject({
      'cache-control': 'private, no-cache',
      'content-type': 'application/json',
      'x-content-type-options': 'nosniff',
    });
    expect(answer.requestId).toMatch(/^[0-9a-f-]{36}$/);
    const etag = answer.headers.etag ?? '';
    const unchanged = await both('/v1/accounts/uses-api/notices', {
      ...bearer(appKey),
      'if-none-match': `"other", W/${etag}`,
    });
    expect(unchanged.status).toBe(304);
    expect(unchanged.body).toBe('');
    expect((await both('/v1/accounts/other/notices', bearer(appKey))).status).toBe(200);
    expect(handedOn).toEqual([]);
  });

  it('sends the exact length of each body, with and without notices and in any script', async () => {
    for (const account of ['uses-api', 'other']) {
      const response = await fetch(`${fast.url}/v1/accounts/${account}/notices`, {
        headers: bearer(appKey),
      });
      const body = new Uint8Array(await response.arrayBuffer());
      expect(Number(response.headers.get('content-length'))).toBe(body.length);
      const { notices } = JSON.parse(new TextDecoder().decode(body));
      expect(notices.map((n: { title: string }) => n.title)).toEqual(
        account === 'uses-api' ? ['Erreurs de l’API'] : [],
      );
    }
  });

  it('gives the same problem answers (401, 403, 404) and does not hand them on', async () => {
    const analystKey = await t.keyFor('analyst');
    const missing = await both('/v1/accounts/uses-api/notices');
    expect(missing.status).toBe(401);
    expect(missing.headers['www-authenticate']).toBe('Bearer');
    expect(JSON.parse(missing.body)).toMatchObject({ code: 'unauthorized' });
    expect((await both('/v1/accounts/uses-api/notices', bearer('fst_unknown'))).status).toBe(401);
    expect((await both('/v1/accounts/uses-api/notices', bearer(analystKey))).status).toBe(403);
    expect((await both('/v1/accounts/nobody/notices', bearer(appKey))).status).toBe(404);
    // The problem names the request it answers.
    const response = await fetch(`${fast.url}/v1/accounts/nobody/notices`, {
      headers: bearer(appKey),
    });
    expect((await readJson(response)).instance).toBe(response.headers.get('x-request-id'));
    expect(handedOn).toEqual([]);
  });

  it('answers two Authorization headers with one 401 on both paths, whichever keys they hold, and records nothing', async () => {
    const analystKey = await t.keyFor('analyst');
    const { token } = await readJson(
      await t.request('/v1/accounts/uses-api/token', { method: 'POST', key: appKey }),
    );
    const pairs = [
      [appKey, appKey],
      [analystKey, appKey],
      [appKey, analystKey],
      [token, appKey],
      [appKey, 'fst_unknown'],
    ];
    for (const pair of pairs) {
      const lines = { authorization: pair.map((key) => `Bearer ${key}`) };
      const answer = await bothRaw('/v1/accounts/uses-api/notices', lines);
      expect(answer.status).toBe(401);
      expect(answer.headers['www-authenticate']).toBe('Bearer');
      expect(answer.headers['content-type']).toBe('application/problem+json');
      expect(JSON.parse(answer.body)).toMatchObject({
        status: 401,
        code: 'unauthorized',
        detail: expect.stringContaining('one Authorization header'),
      });
      // Every other route says the same, and tells caches to keep none of it (the notices API
      // leaves caching to its own answers).
      const campaigns = await bothRaw('/v1/campaigns', lines);
      const { 'cache-control': cacheControl, ...otherHeaders } = campaigns.headers;
      expect(cacheControl).toBe('no-store');
      expect({
        ...campaigns,
        headers: otherHeaders,
        body: JSON.parse(campaigns.body).detail,
      }).toEqual({ ...answer, body: JSON.parse(answer.body).detail });
    }
    expect(handedOn).toEqual(pairs.map(() => 'GET /v1/campaigns'));
    await t.deps.notices.exposures.flush();
    await consolidateExposures(t.deps);
    const exposures = rowsOf(
      await t.deps.db.execute(sql`select 1 from exposures where account_id = 'uses-api'`),
    );
    expect(exposures).toEqual([]);
  });

  it('accepts a browser token for its own account only', async () => {
    const minted = await t.request('/v1/accounts/uses-api/token', { method: 'POST', key: appKey });
    const { token } = await readJson(minted);
    expect((await both('/v1/accounts/uses-api/notices', bearer(token))).status).toBe(200);
    expect((await both('/v1/accounts/other/notices', bearer(token))).status).toBe(403);
    expect((await both('/v1/accounts/uses-api/notices', bearer(`${token}x`))).status).toBe(401);
    expect(handedOn).toEqual([]);
  });

  it('keeps a caller’s plain request id and replaces an unsafe one', async () => {
    const kept = await both('/v1/accounts/uses-api/notices', {
      ...bearer(appKey),
      'x-request-id': 'trace-42_a=b',
    });
    expect(kept.requestId).toBe('trace-42_a=b');
    const replaced = await both('/v1/accounts/uses-api/notices', {
      ...bearer(appKey),
      'x-request-id': 'two words',
    });
    expect(replaced.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers browsers (an Origin) itself, with CORS once', async () => {
    const fromBrowser = await both('/v1/accounts/uses-api/notices', {
      ...bearer(appKey),
      origin: 'https://app.example.com',
    });
    expect(fromBrowser.status).toBe(200);
    expect(fromBrowser.headers['access-control-allow-origin']).toBe('https://app.example.com');
    expect(fromBrowser.headers.vary).toBe('Origin');
    const elsewhere = await both('/v1/accounts/uses-api/notices', {
      ...bearer(appKey),
      origin: 'https://evil.example.com',
    });
    expect(elsewhere.headers['access-control-allow-origin']).toBeUndefined();
    const minted = await t.request('/v1/accounts/uses-api/token', { method: 'POST', key: appKey });
    const { token } = await readJson(minted);
    const withToken = await both('/v1/accounts/uses-api/notices', {
      ...bearer(token),
      origin: 'https://app.example.com',
    });
    expect(withToken.status).toBe(200);
    expect(withToken.headers['access-control-allow-origin']).toBe('https://app.example.com');
    expect(withToken.headers['access-control-expose-headers']).toBe(
      'ETag,Retry-After,X-Request-Id',
    );
    expect(withToken.headers.vary).toBe('Origin');
    const revalidated = await both('/v1/accounts/uses-api/notices', {
      ...bearer(token),
      origin: 'https://app.example.com',
      'if-none-match': withToken.headers.etag ?? '',
    });
    expect(revalidated.status).toBe(304);
    expect(revalidated.headers.vary).toBe('Origin');
    expect(revalidated.headers['access-control-allow-origin']).toBe('https://app.example.com');
    const refused = await both('/v1/accounts/other/notices', {
      ...bearer(token),
      origin: 'https://app.example.com',
    });
    expect(refused.status).toBe(403);
    expect(refused.headers['access-control-allow-origin']).toBe('https://app.example.com');
    expect(handedOn).toEqual([]);
  });

  it('hands on what it does not take: a query, an encoded id, another method', async () => {
    const english = await both('/v1/accounts/uses-api/notices?locale=en', bearer(appKey));
    expect(JSON.parse(english.body).notices[0].title).toBe('API errors');
    expect((await both('/v1/accounts/uses%2Dapi/notices', bearer(appKey))).status).toBe(200);
    const dismissed = await fetch(
      `${fast.url}/v1/accounts/uses-api/notices/${campaignId}/dismiss`,
      { method: 'POST', headers: bearer(appKey) },
    );
    expect(dismissed.status).toBe(204);
    expect(handedOn).toEqual([
      'GET /v1/accounts/uses-api/notices?locale=en',
      'GET /v1/accounts/uses%2Dapi/notices',
      `POST /v1/accounts/uses-api/notices/${campaignId}/dismiss`,
    ]);
  });

  it('records each exposure once and logs each answer as the app does', async () => {
    for (let i = 0; i < 3; i++) {
      const response = await fetch(`${fast.url}/v1/accounts/uses-api/notices`, {
        headers: bearer(appKey),
      });
      expect(response.status).toBe(200);
    }
    await t.deps.notices.exposures.flush();
    await consolidateExposures(t.deps);
    const exposures = rowsOf(
      await t.deps.db.execute(
        sql`select campaign_id, "group" from exposures where account_id = 'uses-api'`,
      ),
    );
    expect(exposures).toEqual([{ campaign_id: campaignId, group: 'treated' }]);
    const logged = t.logs
      .map((line) => JSON.parse(line))
      .filter(
        (line) => line.message === 'request' && line.path === '/v1/accounts/uses-api/notices',
      );
    expect(logged.length).toBeGreaterThanOrEqual(3);
    expect(logged.at(-1)).toMatchObject({ method: 'GET', status: 200 });
  });
});
