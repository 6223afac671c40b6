import { createServer, type Server, type Socket } from 'node:net';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app';
import { buildDeps } from '../../src/composition-root';
import { loadConfig } from '../../src/config';
import { rowsOf } from '../../src/db/json-param';
import { openPostgres } from '../../src/db/postgres';
import { serveNode } from '../../src/node-server';
import { expectProblem } from '../helpers/problem';
import { readJson } from '../helpers/read-json';
import { startTestApp, type TestApp } from '../helpers/test-app';

type OpenApi = {
  paths: Record<string, Record<string, { requestBody?: { content: Record<string, unknown> } }>>;
};

describe('hostile input gets a 4xx problem and changes nothing', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  const accounts = async () =>
    rowsOf<{ n: number }>(await t.deps.db.execute(sql`select count(*)::int as n from accounts`))[0]
      ?.n;

  it('answers 415 on every JSON route for a body sent as another media type', async () => {
    const doc = (await readJson(await t.request('/openapi.json'))) as OpenApi;
    const jsonRoutes = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.entries(methods)
        .filter(([, op]) => op.requestBody?.content['application/json'])
        .map(([method]) => ({ method: method.toUpperCase(), path })),
    );
    expect(jsonRoutes.length).toBeGreaterThanOrEqual(18);
    for (const { method, path } of jsonRoutes) {
      const url = path.replace(/\{[^}]+\}/g, '0192f0c4-0000-7000-8000-000000000001');
      for (const type of ['text/plain', 'application/xml', 'multipart/form-data; boundary=x']) {
        const response = await t.request(url, {
          method,
          body: '{"name":"x"}',
          headers: { 'content-type': type },
        });
        expect(`${method} ${path} ${type}: ${response.status}`).toBe(
          `${method} ${path} ${type}: 415`,
        );
        await expectProblem(response, 415, 'unsupported_media_type');
      }
    }
  });

  it.each([
    ['a NUL in a value', { plan: 'a\u0000b' }, 'plan'],
    ['an unpaired surrogate in a value', { region: 'eu\ud800' }, 'region'],
    ['a NUL in a key', { attributes: { 'a\u0000b': 1 } }, 'attributes.a\ufffdb'],
    ['an unpaired surrogate in a key', { attributes: { '\udc00': 1 } }, 'attributes.\ufffd'],
  ])('refuses %s with 400 naming it', async (_, body, path) => {
    const response = await t.request('/v1/accounts/acct-1', { method: 'PUT', json: body });
    const problem = await expectProblem(response, 400, 'validation_failed');
    expect(problem.errors.map((e: { path: string }) => e.path)).toContain(path);
    expect(await accounts()).toBe(0);
  });

  it.each([
    [
      'an account attribute',
      'PUT',
      '/v1/accounts/acct-1',
      '{"attributes":{"seats":1e400}}',
      'attributes.seats',
    ],
    [
      'an attribute in a batch',
      'POST',
      '/v1/accounts/batch',
      '{"accounts":[{"id":"acct-1","attributes":{"debt":-1e400}}]}',
      'accounts.0.attributes.debt',
    ],
  ])(
    'refuses %s past what a double holds (JSON.parse reads Infinity, stored as null)',
    async (_, method, url, body, path) => {
      const response = await t.request(url, {
        method,
        body,
        headers: { 'content-type': 'application/json' },
      });
      const problem = await expectProblem(response, 400, 'validation_failed');
      expect(problem.errors.map((e: { path: string }) => e.path)).toEqual([path]);
      expect(problem.detail).toContain('too large');
      expect(await accounts()).toBe(0);
    },
  );

  const sendJson = (method: string, url: string, body: string) =>
    t.request(url, { method, body, headers: { 'content-type': 'application/json' } });

  it.each([
    [
      'an account attribute',
      'PUT',
      '/v1/accounts/acct-1',
      '{"attributes":{"seats":12345678901234567890}}',
      ['attributes.seats'],
    ],
    [
      'integers in a batch, under an array and an escaped key',
      'POST',
      '/v1/accounts/batch',
      '{"accounts":[{"id":"acct-1","attributes":{"ids":[1, -9007199254740993],' +
        '"a\\\\\\"b":{"n":9007199254740992}}}]}',
      ['accounts.0.attributes.a\\"b.n', 'accounts.0.attributes.ids.1'],
    ],
    [
      'one beside a key repeated with another value (which JSON.parse takes)',
      'PUT',
      '/v1/accounts/acct-1',
      '{"attributes":{"seats":1,"seats":2,"id":-12345678901234567890}}',
      ['body'],
    ],
    [
      'one under a key named __proto__',
      'PUT',
      '/v1/accounts/acct-1',
      '{"attributes":{"__proto__":{"n":12345678901234567890}}}',
      ['attributes.__proto__.n'],
    ],
  ])(
    'refuses %s beyond ±(2^53 − 1), which JSON.parse would round, naming the field',
    async (_, method, url, body, paths) => {
      const problem = await expectProblem(
        await sendJson(method, url, body),
        400,
        'validation_failed',
      );
      expect(problem.errors.map((e: { path: string }) => e.path).sort()).toEqual(paths);
      expect(problem.detail).toContain('send such values as strings');
      expect(await accounts()).toBe(0);
    },
  );

  it('takes integers up to ±(2^53 − 1) exactly, exponents and long fractions as doubles, not 2^53', async () => {
    const attributes =
      '{"max":9007199254740991,"min":-9007199254740991,"debt":-42,"big":1e20,' +
      '"ratio":0.1000000000000000055511,"id":"12345678901234567890","12345678901234567890":1}';
    const url = '/v1/accounts/acct-exact';
    expect((await sendJson('PUT', url, `{"attributes":${attributes}}`)).status).toBe(201);
    expect((await readJson(await t.request(url))).attributes).toMatchObject({
      max: 9007199254740991,
      min: -9007199254740991,
      debt: -42,
    });
    const stored = async () =>
      rowsOf<{ attributes: string }>(
        await t.deps.db.execute(
          sql`select attributes::text as attributes from accounts where id = 'acct-exact'`,
        ),
      );
    const kept = [
      {
        attributes:
          '{"id": "12345678901234567890", "big": 100000000000000000000, "max": 9007199254740991, ' +
          '"min": -9007199254740991, "debt": -42, "ratio": 0.1, "12345678901234567890": 1}',
      },
    ];
    expect(await stored()).toEqual(kept);
    const next = await sendJson('PUT', url, '{"attributes":{"max":9007199254740992}}');
    await expectProblem(next, 400, 'validation_failed');
    expect(await stored()).toEqual(kept);
  });

  it.each([
    '/v1/reasons?cursor=%00',
    '/v1/events?kind=%00',
    '/v1/reasons/billing%00',
    '/v1/accounts/acct%00',
    '/v1/reasons?limit=5&cur%00sor=1',
    '/v1/reasons/weekly?from=9999-01-01&to=9999-12-31',
    '/v1/reasons/weekly?from=0000-01-01',
    '/v1/reports/prevented-contacts?from=0000-01-01&to=9999-12-31',
    '/v1/events/occurrences?from=0000-01-01&to=0000-01-02',
  ])('refuses GET %s with 400', async (url) => {
    const problem = await expectProblem(await t.request(url), 400, 'validation_failed');
    // A read stores nothing: it is told what is wrong with the text, not that it cannot be stored.
    expect(problem.detail).not.toContain('stored');
  });

  it.each([
    ['starts_at', '0000-01-01T00:00:00Z'],
    ['ends_at', '9999-12-31T23:59:59Z'],
  ])('refuses a campaign whose %s is in the year 0000 or 9999', async (field, value) => {
    const response = await t.request('/v1/campaigns', {
      method: 'POST',
      json: {
        channels: ['banner'],
        title: 'x',
        body: 'x',
        audience: { type: 'all' },
        [field]: value,
      },
    });
    const problem = await expectProblem(response, 400, 'validation_failed');
    expect(problem.errors.map((e: { path: string }) => e.path)).toContain(field);
  });

  it('answers a request line over 16 KB with a 431 problem from the Node server', async () => {
    const server = serveNode(t.deps, { port: 0, hostname: '127.0.0.1' });
    await new Promise<void>((resolve) => server.once('listening', resolve));
    const address = server.address();
    const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    try {
      const long = await fetch(`${base}/v1/spikes?reason=${'x'.repeat(20_000)}`);
      const problem = await expectProblem(long, 431, 'headers_too_large');
      expect(problem.detail).toContain('16 KB');
      expect((await fetch(`${base}/health`)).status).toBe(200);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('refuses JSON nested deeper than any body forestall takes', async () => {
    const response = await t.request('/v1/status/components', {
      method: 'POST',
      body: `${'['.repeat(5000)}${']'.repeat(5000)}`,
      headers: { 'content-type': 'application/json' },
    });
    await expectProblem(response, 400, 'validation_failed');
  });

  it('says the body nests too deep, not that its text is unreadable', async () => {
    const nested = (depth: number): unknown => (depth === 0 ? [] : [nested(depth - 1)]);
    const response = await t.request('/v1/api-keys', {
      method: 'POST',
      json: { name: 'x', role: 'ops', z: nested(70) },
    });
    const problem = await expectProblem(response, 400, 'validation_failed');
    expect(problem.errors).toEqual([
      expect.objectContaining({ location: 'body', message: 'nests deeper than 64 levels' }),
    ]);
    expect(problem.detail).toBe('The body nests deeper than 64 levels.');

    const both = await t.request('/v1/api-keys', {
      method: 'POST',
      json: { z: nested(70), name: 'x\u0000', role: 'ops' },
    });
    expect((await expectProblem(both, 400, 'validation_failed')).detail).toBe(
      '1 field with text forestall cannot read (a NUL character or an unpaired surrogate), ' +
        'and the body nests deeper than 64 levels.',
    );
  });

  it.each([
    ['a quote inside a field', 'external_id,created_at,reason\n1,2025-01-01,a"b\n'],
    ['a quote opening a field mid-way', 'external_id,created_at,reason\n1,2025-01-01,x"=A1"\n'],
    ['a quote left open', 'external_id,created_at,reason\n1,2025-01-01,"open\n'],
    ['a NUL in a field', 'external_id,created_at,reason\n1,2025-01-01,a\u0000b\n'],
  ])('refuses a CSV import with %s with 400, importing nothing', async (_, csv) => {
    const response = await t.request('/v1/tickets/import?source=crm', {
      method: 'POST',
      body: csv,
      headers: { 'content-type': 'text/csv' },
    });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    const [tickets] = rowsOf<{ n: number }>(
      await t.deps.db.execute(sql`select count(*)::int as n from tickets`),
    );
    expect(tickets?.n).toBe(0);
  });
});

describe('a database that is away', () => {
  it('answers a write 503 with Retry-After, not 500, when Postgres refuses connections', async () => {
    const t = await startTestApp();
    const unreachable = openPostgres('postgres://forestall@127.0.0.1:1/forestall', {
      connectTimeoutSeconds: 1,
    });
    const app = createApp({ ...t.deps, db: unreachable.db });
    const response = await app.request('/v1/accounts/acct-1', {
      method: 'PUT',
      headers: { authorization: `Bearer ${t.adminKey}`, 'content-type': 'application/json' },
      body: '{"plan":"pro"}',
    });
    const problem = await expectProblem(response, 503, 'unavailable');
    expect(JSON.stringify(problem)).not.toContain('ECONNREFUSED');
    expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
    await unreachable.close();
    await t.close();
  });

  it('answers 503 with Retry-After once REQUEST_TIMEOUT_MS passes on a database that never answers', async () => {
    // Accepts connections and never says a word: a database behind a dead network path.
    const sockets = new Set<Socket>();
    const silent: Server = createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const address = silent.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const database = openPostgres(`postgres://forestall@127.0.0.1:${port}/forestall`, {
      connectTimeoutSeconds: 60,
    });
    const deps = buildDeps(
      loadConfig({ LOG_LEVEL: 'silent', REQUEST_TIMEOUT_MS: '300' }),
      database.db,
    );
    const response = await createApp(deps).request('/v1/api-keys', {
      headers: { authorization: 'Bearer fst_0123456789abcdef0123456789abcdef' },
    });
    const problem = await expectProblem(response, 503, 'unavailable');
    expect(problem.detail).toContain('300 ms');
    expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
    for (const socket of sockets) socket.destroy();
    silent.close();
    void database.close();
  });
});
