import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCampaign } from '../helpers/campaigns';
import { readJson } from '../helpers/read-json';
import { startTestApp, type TestApp } from '../helpers/test-app';

/** The directives of a Content-Security-Policy header, by name. */
const directives = (policy: string | null) =>
  new Map(
    (policy ?? '')
      .split(';')
      .map((part) => part.trim().split(/\s+/))
      .filter(([name]) => name)
      .map(([name, ...sources]) => [name ?? '', sources]),
  );

/** A policy under which text that slipped into the page as markup cannot run as a script. */
function expectNoInjectedScript(response: Response, where: string) {
  expect(response.headers.get('content-type'), where).toContain('text/html');
  const policy = directives(response.headers.get('content-security-policy'));
  const scripts = policy.get('script-src') ?? policy.get('default-src');
  expect(scripts, `${where}: script-src or default-src`).toBeDefined();
  expect(scripts, where).not.toContain("'unsafe-inline'");
  expect(scripts, where).not.toContain('*');
  expect(policy.get('base-uri'), where).toEqual(["'none'"]);
}

describe('HTML documents that show text from ops, accounts or recipients', () => {
  let t: TestApp;
  let campaign: string;
  let unsubscribePath: string;
  beforeAll(async () => {
    t = await startTestApp({ env: { PUBLIC_URL: 'https://forestall.example.com' } });
    await t.request('/v1/accounts/batch', {
      method: 'POST',
      json: { accounts: [{ id: 'acct-1', contacts: [{ email: 'ada@example.com', name: 'Ada' }] }] },
    });
    const created = await createCampaign(t, {
      channels: ['email'],
      title: 'Price change',
      body: 'New prices from April.',
    });
    campaign = created.id;
    const preview = await readJson(
      await t.request(`/v1/campaigns/${campaign}/email-preview?account=acct-1`),
    );
    const link = /^<https:\/\/forestall\.example\.com(\/unsubscribe\/[^>]+)>$/.exec(
      preview.headers['List-Unsubscribe'],
    );
    unsubscribePath = link?.[1] ?? '';
    expect(unsubscribePath).not.toBe('');
  });
  afterAll(() => t.close());

  it("serves an email preview opened from forestall's origin under a policy with no script", async () => {
    const response = await t.request(
      `/v1/campaigns/${campaign}/email-preview?account=acct-1&format=html`,
    );
    expect(response.status).toBe(200);
    expectNoInjectedScript(response, 'email preview');
    expect(directives(response.headers.get('content-security-policy')).get('default-src')).toEqual([
      "'none'",
    ]);
  });

  it('serves the unsubscribe pages under a policy with no injected script', async () => {
    expectNoInjectedScript(await t.request(unsubscribePath, { key: null }), 'unsubscribe GET');
    expectNoInjectedScript(
      await t.request('/unsubscribe/not-a-token', { key: null }),
      'unsubscribe, bad link',
    );
    const oneClick = await t.request(unsubscribePath, {
      method: 'POST',
      key: null,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
    });
    expect(oneClick.status).toBe(200);
    expectNoInjectedScript(oneClick, 'unsubscribe POST');
  });

  it('serves the status subscription pages under the status page policy, never framed', async () => {
    const subscribed = await t.request('/status/subscribe', {
      method: 'POST',
      key: null,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'email=reader%40example.com',
    });
    expect(subscribed.status).toBe(200);
    expectNoInjectedScript(subscribed, 'status subscribe');
    for (const action of ['confirm', 'unsubscribe']) {
      const response = await t.request(`/status/subscriptions/${action}/not-a-token`, {
        key: null,
      });
      expect(response.status).toBe(404);
      expectNoInjectedScript(response, `status ${action}, bad link`);
    }
    // The status page may be framed by any site; its subscription pages' buttons may not.
    const statusPage = await t.request('/status', { key: null });
    const policyOf = (response: Response) =>
      (response.headers.get('content-security-policy') ?? '').split('; ');
    expect(policyOf(statusPage)).toContain('frame-ancestors *');
    expect(policyOf(subscribed)).toContain("frame-ancestors 'none'");
    expect(policyOf(subscribed).filter((d) => !d.startsWith('frame-ancestors'))).toEqual(
      policyOf(statusPage).filter((d) => !d.startsWith('frame-ancestors')),
    );
  });

  it('sends X-Frame-Options only on pages not meant to be framed, so legacy browsers frame the status page', async () => {
    // A browser that knows no frame-ancestors obeys X-Frame-Options: SAMEORIGIN alone.
    for (const path of ['/status', '/status/incidents/not-an-incident']) {
      const page = await t.request(path, { key: null });
      expect(page.headers.get('content-security-policy'), path).toContain('frame-ancestors *');
      expect(page.headers.get('x-frame-options'), path).toBeNull();
    }
    const confirm = await t.request('/status/subscriptions/confirm/not-a-token', { key: null });
    expect(confirm.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    const reference = await t.request('/docs', { key: null });
    expect(reference.headers.get('x-frame-options')).toBe('SAMEORIGIN');
  });
});

describe('the status site with a logo configured', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({
      env: { STATUS_PAGE_LOGO_URL: 'https://cdn.example.net/brand/logo.svg' },
    });
  });
  afterAll(() => t.close());

  it("lets every page of the status site show the logo from its origin, and nothing else's", async () => {
    const status = await t.request('/status', { key: null });
    expect(await status.text()).toContain('src="https://cdn.example.net/brand/logo.svg"');
    const pages: Record<string, Response> = { '/status': status };
    for (const path of [
      '/status/incidents/not-an-incident',
      '/status/subscriptions/confirm/not-a-token',
    ]) {
      pages[path] = await t.request(path, { key: null });
    }
    for (const [path, page] of Object.entries(pages)) {
      expectNoInjectedScript(page, path);
      const policy = directives(page.headers.get('content-security-policy'));
      expect(policy.get('img-src'), path).toEqual(["'self'", 'https://cdn.example.net']);
    }
  });
});
