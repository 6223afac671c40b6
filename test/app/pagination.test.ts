import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { base64url } from '../../src/lib/base64url';
import { expectProblem } from '../helpers/problem';
import { readJson } from '../helpers/read-json';
import { startTestApp, type TestApp } from '../helpers/test-app';

type OpenApi = {
  paths: Record<string, Record<string, { parameters?: { in: string; name: string }[] }>>;
};

const SOME_ID = '0192f0c4-0000-7000-8000-000000000001';

describe('list cursors', () => {
  let t: TestApp;
  let lists: string[];
  beforeAll(async () => {
    t = await startTestApp();
    const doc = (await readJson(await t.request('/openapi.json'))) as OpenApi;
    lists = Object.entries(doc.paths)
      .filter(([, methods]) =>
        methods.get?.parameters?.some((p) => p.in === 'query' && p.name === 'cursor'),
      )
      .map(([path]) => path.replace(/\{[^}]+\}/g, SOME_ID));
  });
  afterAll(() => t.close());

  /** Every page of `path` at `limit` per page, following `next_cursor`. */
  async function pages(path: string, limit: number) {
    const seen: unknown[][] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
      const response = await t.request(`${path}?limit=${limit}${query}`);
      expect(response.status).toBe(200);
      const page = await readJson(response);
      seen.push(page.data);
      cursor = page.next_cursor;
    } while (cursor);
    return seen;
  }

  it('refuses with 400, on every list, a cursor the API did not issue', async () => {
    expect(lists).toEqual(
      expect.arrayContaining([
        '/v1/api-keys',
        '/v1/events',
        '/v1/reasons',
        '/v1/accounts',
        '/v1/campaigns',
        '/v1/spikes/alerts',
        '/v1/job-runs',
        '/v1/email-suppressions',
        '/v1/patterns',
        '/v1/status/incidents',
        '/v1/status/maintenances',
        '/v1/status/webhooks',
        `/v1/campaigns/${SOME_ID}/audit`,
      ]),
    );
    expect(lists).toHaveLength(15);
    const forged = [
      '00000000-0000-0000-0000-000000000000',
      SOME_ID,
      base64url(new TextEncoder().encode('k1:zzz')),
      `${SOME_ID}.${'A'.repeat(43)}`,
      '',
    ];
    for (const path of lists) {
      for (const cursor of forged) {
        const response = await t.request(`${path}?cursor=${encodeURIComponent(cursor)}`);
        expect(`${path}?cursor=${cursor}: ${response.status}`).toBe(
          `${path}?cursor=${cursor}: 400`,
        );
        const problem = await expectProblem(response, 400, 'validation_failed');
        expect(problem.errors).toEqual([expect.objectContaining({ path: 'cursor' })]);
      }
    }
  });

  it('pages through a list with the cursors it issued, and refuses them altered or elsewhere', async () => {
    for (let i = 0; i < 5; i++) {
      await t.request('/v1/events', {
        method: 'POST',
        json: {
          kind: 'release',
          title: `Release ${i}`,
          starts_at: `2026-01-0${i + 1}T06:00:00.000Z`,
          ends_at: `2026-01-0${i + 1}T12:00:00.000Z`,
        },
      });
      await t.request(`/v1/reasons/reason-${i}`, { method: 'PUT', json: { label: `R ${i}` } });
    }
    for (const path of ['/v1/events', '/v1/reasons']) {
      const all = (await readJson(await t.request(`${path}?limit=200`))).data;
      expect(all.length).toBeGreaterThanOrEqual(5);
      const paged = await pages(path, 2);
      expect(paged.flat()).toEqual(all);
      expect(paged).toHaveLength(Math.ceil(all.length / 2));
    }

    const issued = (await readJson(await t.request('/v1/events?limit=1'))).next_cursor as string;
    expect((await t.request(`/v1/events?limit=1&cursor=${issued}`)).status).toBe(200);
    const [cursor, signature] = issued.split('.');
    const altered = [
      // Another position under the same signature.
      `${cursor?.slice(0, -1)}${cursor?.endsWith('0') ? '1' : '0'}.${signature}`,
      // The position alone.
      cursor,
    ];
    for (const bad of altered) {
      await expectProblem(await t.request(`/v1/events?cursor=${bad}`), 400, 'validation_failed');
    }
    // Issued for one list, it is not a position in another.
    await expectProblem(await t.request(`/v1/api-keys?cursor=${issued}`), 400, 'validation_failed');
  });
});
