import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../../helpers/test-app';

describe('the embeddable script', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('is cached publicly and revalidated with its ETag, so pages that poll it get a 304', async () => {
    const first = await t.request('/embed.js', { key: null });
    expect(first.status).toBe(200);
    expect(first.headers.get('cache-control')).toBe('public, max-age=300');
    const etag = first.headers.get('etag');
    expect(etag).toMatch(/^"[^"]+"$/);
    const again = await t.request('/embed.js', {
      key: null,
      headers: { 'if-none-match': etag ?? '' },
    });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
    expect(again.headers.get('cache-control')).toBe('public, max-age=300');
    expect(again.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
    const other = await t.request('/embed.js', { key: null, headers: { 'if-none-match': '"x"' } });
    expect(other.status).toBe(200);
  });
});
