import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleClient } from '../helpers/console-client';
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

  it('answers an API read refused for its key, its query or its period at once; a good one of each heavy route waits its turn', async () => {
    const analystKey = await t.keyFor('analyst');
    const campaignId = '00000000-0000-4000-8000-000000000000';
    occupy();
    try {
      const refused = [
        ['/v1/reasons?limit=0', analystKey, 400],
        ['/v1/reasons/weekly?from=garbage', analystKey, 400],
        ['/v1/events/occurrences?from=2026-01-01&to=garbage', analystKey, 400],
        ['/v1/patterns?as_of=garbage', analystKey, 400],
        ['/v1/spikes?from=2026-01-05&to=2025-06-02', analystKey, 400],
        ['/v1/spikes?from=1990-01-01&to=2025-06-02', analystKey, 400],
        ['/v1/reports/prevented-contacts?from=2026-02-01&to=2026-01-01', analystKey, 400],
        ['/v1/campaigns/not-a-uuid/impact', analystKey, 400],
        ['/v1/reports/prevented-contacts', null, 401],
        ['/v1/patterns', appKey, 403],
      ] as const;
      for (const [path, key, status] of refused) {
        const response = await t.request(path, { key });
        expect(response.status, path).toBe(status);
      }
      const heavy = [
        '/v1/reasons',
        '/v1/reasons/weekly',
        '/v1/events/occurrences?from=2026-01-01&to=2026-03-01',
        '/v1/patterns',
        '/v1/spikes',
        '/v1/reports/prevented-contacts',
        '/v1/reports/prevented-contacts?format=csv',
        `/v1/campaigns/${campaignId}/impact`,
      ];
      const answered = new Set<string>();
      const queued = heavy.map(async (path) => {
        const response = await t.request(path, { key: analystKey });
        answered.add(path);
        return response;
      });
      expect((await t.request('/health', { key: null })).status).toBe(200);
      expect([...answered]).toEqual([]);
      release();
      const statuses = await Promise.all(queued.map(async (r) => (await r).status));
      expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 200, 404]);
    } finally {
      release();
    }
  });

  it('answers a console page whose period is bad or too long at once, without queueing; a good one waits its turn', async () => {
    const analyst = consoleClient(t);
    await analyst.signIn(await t.keyFor('analyst'));
    occupy();
    try {
      const refused = [
        ['/console/reasons?from=garbage', 400],
        // Longer than the calendar is expanded for at once: what the API answers 422.
        ['/console/reasons?from=2004-01-05&to=2025-01-06', 422],
        ['/console/spikes?from=2026-01-05&to=2025-06-02', 400],
        // Too long against the week the data ends, where the page ends without a `to`.
        ['/console/spikes?from=1990-01-01', 400],
        ['/console/reports?from=2015-01-05&to=2025-01-06', 400],
        ['/console/reports.csv?to=0500-01-01', 400],
      ] as const;
      for (const [path, status] of refused) {
        const response = await analyst.get(path);
        expect(response.status, path).toBe(status);
        expect(response.headers.get('content-type'), path).toMatch(/^text\/html/);
      }
      const queued = Promise.resolve(analyst.get('/console/spikes?from=2025-06-02&to=2025-06-30'));
      let answered = false;
      void queued.then(() => {
        answered = true;
      });
      expect((await t.request('/health', { key: null })).status).toBe(200);
      expect(answered).toBe(false);
      release();
      expect((await queued).status).toBe(200);
    } finally {
      release();
    }
  });
});
