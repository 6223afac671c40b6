import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectProblem } from '../helpers/problem';
import { startTestApp, type TestApp } from '../helpers/test-app';

describe('heavy reads', () => {
  let t: TestApp;
  let appKey: string;
  let release: () => void = () => {};
  beforeAll(async () => {
    t = await startTestApp({ env: { ANALYTICS_CONCURRENCY: '1', REQUEST_TIMEOUT_MS: '1000' } });
    appKey = await t.keyFor('app');
    await t.request('/v1/accounts/acct-1', { method: 'PUT', json: { plan: 'pro' } });
  });
  afterAll(() => t.close());

  /** Takes the instance's one heavy-read slot until `release` is called. */
  const occupy = () => {
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    void t.deps.heavyReads(() => held);
  };

  it('queues a report behind the one running and answers it when the slot frees', async () => {
    occupy();
    const queued = Promise.resolve(t.request('/v1/reasons/weekly'));
    let answered = false;
    void queued.then(() => {
      answered = true;
    });
    // The notices API and /health do not queue.
    expect((await t.request('/health', { key: null })).status).toBe(200);
    expect((await t.request('/v1/accounts/acct-1/notices', { key: appKey })).status).toBe(200);
    expect(answered).toBe(false);
    release();
    expect((await queued).status).toBe(200);
  });

  it('answers 503 with Retry-After to a read that waited out the request timeout', async () => {
    occupy();
    try {
      const response = await t.request('/v1/patterns');
      await expectProblem(response, 503, 'unavailable');
      expect(response.headers.get('retry-after')).toBe('1');
    } finally {
      release();
    }
    expect((await t.request('/v1/patterns')).status).toBe(200);
  });
});
