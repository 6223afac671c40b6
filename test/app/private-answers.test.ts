import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleClient } from '../helpers/console-client';
import { startTestApp, type TestApp } from '../helpers/test-app';

describe('caching of private answers', () => {
  let t: TestApp;
  let appKey: string;
  beforeAll(async () => {
    t = await startTestApp();
    appKey = await t.keyFor('app');
    await t.request('/v1/accounts/batch', {
      method: 'POST',
      json: { accounts: [{ id: 'acct-1', contacts: [{ email: 'ada@example.com', name: 'Ada' }] }] },
    });
  });
  afterAll(() => t.close());

  it("tells every cache to keep none of the API's or the console's answers unless the route says otherwise", async () => {
    const cacheControl = async (response: Response | Promise<Response>) =>
      (await response).headers.get('cache-control');
    expect(await cacheControl(t.request('/v1/accounts/acct-1'))).toBe('no-store');
    expect(await cacheControl(t.request('/v1/api-keys'))).toBe('no-store');
    expect(
      await cacheControl(t.request('/v1/accounts/acct-1/token', { method: 'POST', key: appKey })),
    ).toBe('no-store');
    // Problems too: a 404 names what was asked for.
    expect(await cacheControl(t.request('/v1/accounts/nobody'))).toBe('no-store');
    const admin = consoleClient(t);
    await admin.signIn(await t.keyFor('admin'));
    const page = await admin.get('/console/accounts/acct-1');
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('ada@example.com');
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(await cacheControl(admin.get('/console/api-keys'))).toBe('no-store');

    // What a route says stays: the notices' private revalidation, public pages and assets.
    const notices = await cacheControl(t.request('/v1/accounts/acct-1/notices', { key: appKey }));
    expect(notices).toMatch(/^private/);
    expect(await cacheControl(t.request('/favicon.svg', { key: null }))).toBe(
      'public, max-age=86400',
    );
    expect(await cacheControl(t.request('/status', { key: null }))).toMatch(/^public/);
  });
});
