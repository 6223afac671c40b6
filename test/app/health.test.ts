import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app';
import { openPostgres } from '../../src/db/postgres';
import { readJson } from '../helpers/read-json';
import { startTestApp, type TestApp } from '../helpers/test-app';

describe('health and readiness', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('answers /health without a key', async () => {
    const response = await t.request('/health', { key: null });
    expect(response.status).toBe(200);
    expect(await readJson(response)).toEqual({ status: 'ok' });
  });

  it('answers /ready after a database round-trip', async () => {
    const response = await t.request('/ready', { key: null });
    expect(response.status).toBe(200);
    expect(await readJson(response)).toEqual({ status: 'ready', database: 'ok', notices: 'warm' });
  });

  it('puts a request id on every response, echoing a caller-supplied one', async () => {
    const generated = await t.request('/health');
    expect(generated.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const echoed = await t.request('/health', { headers: { 'x-request-id': 'trace-abc-123' } });
    expect(echoed.headers.get('x-request-id')).toBe('trace-abc-123');
  });

  it('sends protective headers on every response: all of them on documents', async () => {
    const json = await t.request('/v1/nothing-here');
    expect(json.headers.get('x-content-type-options')).toBe('nosniff');
    const page = await t.request('/status');
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    // The status page may be framed by other sites (its policy's frame-ancestors says so),
    // so it sends no X-Frame-Options, which legacy browsers would obey instead.
    expect(page.headers.get('x-frame-options')).toBeNull();
    expect(page.headers.get('cross-origin-opener-policy')).toBe('same-origin');
    const signIn = await t.request('/console/sign-in');
    expect(signIn.headers.get('content-type')).toMatch(/^text\/html/);
    expect(signIn.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    const script = await t.request('/embed.js');
    expect(script.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
    expect(script.headers.get('x-frame-options')).toBe('SAMEORIGIN');
  });
});

describe('readiness while the notices caches warm', () => {
  it('answers 503 until the instance says its notices caches are warm', async () => {
    const t = await startTestApp();
    const readiness = { noticesWarm: false };
    const app = createApp({ ...t.deps, readiness });
    const warming = await app.request('/ready');
    expect(warming.status).toBe(503);
    expect(await readJson(warming)).toMatchObject({ code: 'not_ready' });
    readiness.noticesWarm = true;
    expect((await app.request('/ready')).status).toBe(200);
    await t.close();
  });
});

describe('readiness with an unreachable database', () => {
  it('answers 503 problem+json when Postgres refuses connections', async () => {
    const t = await startTestApp();
    // Port 1 on loopback refuses connections at once: a database server that is down.
    const unreachable = openPostgres('postgres://forestall@127.0.0.1:1/forestall', {
      connectTimeoutSeconds: 1,
    });
    const app = createApp({ ...t.deps, db: unreachable.db });
    const response = await app.request('/ready');
    expect(response.status).toBe(503);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    const body = await readJson(response);
    expect(body).toMatchObject({ status: 503, code: 'not_ready' });
    expect(JSON.stringify(body)).not.toContain('ECONNREFUSED');
    expect(t.logs.some((line) => line.includes('readiness check failed'))).toBe(true);
    await unreachable.close();
    await t.close();
  });

  it('answers 503 once the database connection has been closed', async () => {
    const t = await startTestApp();
    await t.database.close();
    const response = await t.request('/ready', { key: null });
    expect(response.status).toBe(503);
    expect((await readJson(response)).code).toBe('not_ready');
  });
});
