import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rowsOf } from '../../src/db/json-param';
import { apiKeys } from '../../src/db/schema';
import { expectProblem } from '../helpers/problem';
import { startTestApp, type TestApp } from '../helpers/test-app';

describe('every error is application/problem+json with a stable code', () => {
  let t: TestApp;
  const countKeys = async () => (await t.deps.db.select().from(apiKeys)).length;

  beforeAll(async () => {
    t = await startTestApp({ env: { BODY_LIMIT_BYTES: '1024' } });
  });
  afterAll(() => t.close());

  it('400 lists the location and path of each bad field and writes nothing', async () => {
    const before = await countKeys();
    const response = await t.request('/v1/api-keys', {
      method: 'POST',
      json: { name: '', role: 'superuser' },
    });
    const body = await expectProblem(response, 400, 'validation_failed');
    expect(body.errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ location: 'body', path: 'name' }),
        expect.objectContaining({ location: 'body', path: 'role' }),
      ]),
    );
    expect(await countKeys()).toBe(before);
  });

  it('400 names bad query and path parameters too', async () => {
    const query = await expectProblem(
      await t.request('/v1/api-keys?limit=0'),
      400,
      'validation_failed',
    );
    expect(query.errors).toEqual([expect.objectContaining({ location: 'query', path: 'limit' })]);
    const param = await expectProblem(
      await t.request('/v1/api-keys/not-a-uuid', { method: 'DELETE' }),
      400,
      'validation_failed',
    );
    expect(param.errors).toEqual([expect.objectContaining({ location: 'path', path: 'id' })]);
  });

  it('400 names a date that is no date once, by its format', async () => {
    const body = await expectProblem(
      await t.request('/v1/spikes?from=abc'),
      400,
      'validation_failed',
    );
    expect(body.errors).toEqual([expect.objectContaining({ location: 'query', path: 'from' })]);
    expect(body.errors[0].message).not.toContain('year');
  });

  it('400 tells a reversed range from one too long', async () => {
    const reversed = await expectProblem(
      await t.request('/v1/spikes?from=2026-01-05&to=2025-01-05'),
      400,
      'validation_failed',
    );
    expect(reversed.errors).toEqual([
      { location: 'query', path: 'from', message: 'must not be after to' },
    ]);
    const long = await expectProblem(
      await t.request('/v1/spikes?from=1990-01-01&to=2026-01-05'),
      400,
      'validation_failed',
    );
    expect(long.errors[0].message).toMatch(/^range exceeds \d+ weeks$/);
  });

  it('400 for a count that is not written in digits', async () => {
    for (const limit of ['', '0x10', '1e2', '2.5', ' 5']) {
      const body = await expectProblem(
        await t.request(`/v1/api-keys?limit=${encodeURIComponent(limit)}`),
        400,
        'validation_failed',
      );
      expect(body.errors, limit).toEqual([
        { location: 'query', path: 'limit', message: 'must be a whole number written in digits' },
      ]);
    }
    expect((await t.request('/v1/api-keys?limit=16')).status).toBe(200);
  });

  it('400 names the bound a count written in digits falls outside, on every route taking one', async () => {
    const campaign = '0192f0c4-0000-7000-8000-000000000001';
    const impact = `/v1/campaigns/${campaign}/impact?window_days=`;
    for (const { path, field, message } of [
      { path: '/v1/reasons?limit=201', field: 'limit', message: 'must be at most 200' },
      { path: '/v1/api-keys?limit=0', field: 'limit', message: 'must be at least 1' },
      { path: '/v1/reasons/weekly?top=0', field: 'top', message: 'must be at least 1' },
      { path: `${impact}99999999999`, field: 'window_days', message: 'must be at most 180' },
      { path: `${impact}${'9'.repeat(40)}`, field: 'window_days', message: 'must be at most 180' },
    ]) {
      const body = await expectProblem(await t.request(path), 400, 'validation_failed');
      expect(body.errors, path).toEqual([{ location: 'query', path: field, message }]);
    }
  });

  it('400 names the bound a body field falls outside, in the same words as a query', async () => {
    const body = await expectProblem(
      await t.request('/v1/campaigns', {
        method: 'POST',
        json: {
          channels: ['banner'],
          title: 'Maintenance',
          body: 'Read-only for an hour.',
          severity: 'maintenance',
          audience: { type: 'all' },
          holdout_percent: 51,
          target_reasons: ['', 'x'.repeat(101)],
        },
      }),
      400,
      'validation_failed',
    );
    expect(body.errors).toEqual(
      expect.arrayContaining([
        { location: 'body', path: 'holdout_percent', message: 'must be at most 50' },
        { location: 'body', path: 'target_reasons.0', message: 'must not be empty' },
        { location: 'body', path: 'target_reasons.1', message: 'must be at most 100 characters' },
      ]),
    );
    expect(JSON.stringify(body.errors)).not.toMatch(/Too (big|small)/);
    expect(
      rowsOf<{ n: number }>(await t.deps.db.execute(sql`select count(*)::int as n from campaigns`)),
    ).toEqual([{ n: 0 }]);
  });

  it('400 for a body that is not JSON', async () => {
    const response = await t.request('/v1/api-keys', {
      method: 'POST',
      body: '{"name": ',
      headers: { 'content-type': 'application/json' },
    });
    await expectProblem(response, 400, 'malformed_body');
  });

  it('400 for a missing body instead of accepting it', async () => {
    await expectProblem(
      await t.request('/v1/api-keys', { method: 'POST' }),
      400,
      'validation_failed',
    );
  });

  it('401 without a key, with a WWW-Authenticate challenge', async () => {
    const response = await t.request('/v1/api-keys', { key: null });
    expect(response.headers.get('www-authenticate')).toBe('Bearer');
    await expectProblem(response, 401, 'unauthorized');
  });

  it('403 for a role that may not call the route', async () => {
    const opsKey = await t.keyFor('ops');
    await expectProblem(await t.request('/v1/api-keys', { key: opsKey }), 403, 'forbidden');
  });

  it('404 for an unknown route and for an unknown resource', async () => {
    await expectProblem(await t.request('/v1/nothing-here'), 404, 'not_found');
    await expectProblem(
      await t.request('/v1/api-keys/0192f0c4-0000-7000-8000-000000000000', { method: 'DELETE' }),
      404,
      'not_found',
    );
  });

  it('409 when revoking the last admin key', async () => {
    const [admin] = await t.deps.db.select().from(apiKeys).where(sql`role = 'admin'`);
    const response = await t.request(`/v1/api-keys/${admin?.id}`, { method: 'DELETE' });
    await expectProblem(response, 409, 'last_admin_key');
  });

  it('413 for a body over the limit, and nothing is written', async () => {
    const before = await countKeys();
    const response = await t.request('/v1/api-keys', {
      method: 'POST',
      json: { name: 'x'.repeat(2000), role: 'ops' },
    });
    await expectProblem(response, 413, 'payload_too_large');
    expect(await countKeys()).toBe(before);
  });

  it('500 hides the stack and SQL from the body but logs them with the request id', async () => {
    await t.deps.db.execute(sql`alter table job_runs rename to job_runs_elsewhere`);
    try {
      const response = await t.request('/v1/job-runs');
      const body = await expectProblem(response, 500, 'internal');
      const text = JSON.stringify(body);
      for (const leak of ['job_runs', 'select', 'relation', 'at ', '.ts']) {
        expect(text).not.toContain(leak);
      }
      const logged = t.logs.find((line) => line.includes('unhandled error'));
      expect(logged).toContain(body.instance);
      expect(logged).toContain('job_runs');
    } finally {
      await t.deps.db.execute(sql`alter table job_runs_elsewhere rename to job_runs`);
    }
  });
});
