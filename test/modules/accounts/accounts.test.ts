import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { rowsOf } from '../../../src/db/json-param';
import type { Audience } from '../../../src/modules/campaigns/audience';
import { audienceSize } from '../../../src/modules/campaigns/audience-sql';
import { publishCampaign } from '../../helpers/notices';
import { expectProblem } from '../../helpers/problem';
import { readJson } from '../../helpers/read-json';
import { startTestApp, type TestApp } from '../../helpers/test-app';

const acme = {
  plan: 'enterprise',
  region: 'eu-west',
  components: ['API', 'Dashboard'],
  locale: 'fr-CA',
  time_zone: 'America/Toronto',
  attributes: { seats: 40, beta: true },
  contacts: [{ email: 'Ops@Acme.example', name: 'Ops team' }],
};

describe('accounts', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    await t.deps.db.execute(sql`truncate accounts, campaigns cascade`);
    t.deps.notices.catalog.invalidate();
  });

  const count = async (table: string) =>
    rowsOf<{ n: number }>(
      await t.deps.db.execute(sql.raw(`select count(*)::int as n from ${table}`)),
    )[0]?.n;

  it('creates, reads, replaces and deletes an account with its contacts', async () => {
    const put = await t.request('/v1/accounts/acme', { method: 'PUT', json: acme });
    expect(put.status).toBe(201);
    const account = await readJson(put);
    expect(account).toMatchObject({
      ...acme,
      id: 'acme',
      contacts: [{ email: 'Ops@Acme.example', name: 'Ops team', locale: null }],
    });
    expect(await readJson(await t.request('/v1/accounts/acme'))).toEqual(account);

    const replacing = await t.request('/v1/accounts/acme', {
      method: 'PUT',
      json: { plan: 'starter' },
    });
    expect(replacing.status).toBe(200);
    const replaced = await readJson(replacing);
    expect(replaced).toMatchObject({ plan: 'starter', components: [], contacts: [], region: null });
    expect(replaced.created_at).toBe(account.created_at);

    expect((await t.request('/v1/accounts/acme', { method: 'DELETE' })).status).toBe(204);
    await expectProblem(await t.request('/v1/accounts/acme'), 404, 'not_found');
    await expectProblem(
      await t.request('/v1/accounts/acme', { method: 'DELETE' }),
      404,
      'not_found',
    );
  });

  it("keeps a contact's internationalised domain in its ASCII form and refuses a non-ASCII local part by name", async () => {
    const put = await t.request('/v1/accounts/idn', {
      method: 'PUT',
      json: { plan: 'pro', contacts: [{ email: 'Ops@Bücher.example' }] },
    });
    expect(put.status).toBe(201);
    expect((await readJson(put)).contacts).toEqual([
      { email: 'Ops@xn--bcher-kva.example', name: null, locale: null },
    ]);
    const refused = await expectProblem(
      await t.request('/v1/accounts/idn2', {
        method: 'PUT',
        json: { plan: 'pro', contacts: [{ email: 'léa@example.com' }] },
      }),
      400,
      'validation_failed',
    );
    expect(refused.errors).toEqual([
      expect.objectContaining({
        path: 'contacts.0.email',
        message: expect.stringMatching(/before the @/),
      }),
    ]);
    expect(await count('accounts')).toBe(1);
  });

  it('keeps a contact address as given and holds one contact per address whatever its case, the last spelling given', async () => {
    const put = await t.request('/v1/accounts/ann', {
      method: 'PUT',
      json: {
        contacts: [
          { email: 'ann@example.com', name: 'First' },
          { email: 'Ann@Example.com', name: 'Ann' },
          { email: 'Bo@Example.com' },
        ],
      },
    });
    expect(put.status).toBe(201);
    expect((await readJson(put)).contacts).toEqual([
      { email: 'Ann@Example.com', name: 'Ann', locale: null },
      { email: 'Bo@Example.com', name: null, locale: null },
    ]);
    expect(await count('account_contacts')).toBe(2);
  });

  it('deleting an account removes its contacts', async () => {
    await t.request('/v1/accounts/acme', { method: 'PUT', json: acme });
    expect(await count('account_contacts')).toBe(1);
    await t.request('/v1/accounts/acme', { method: 'DELETE' });
    expect(await count('account_contacts')).toBe(0);
  });

  it('upserts a batch, counting created and replaced accounts; the last copy wins and repeats are counted', async () => {
    await t.request('/v1/accounts/a-1', { method: 'PUT', json: { plan: 'starter' } });
    const response = await t.request('/v1/accounts/batch', {
      method: 'POST',
      json: {
        accounts: [
          { id: 'a-1', plan: 'pro' },
          { id: 'a-2', plan: 'starter', contacts: [{ email: 'x@a2.example' }] },
          { id: 'a-2', plan: 'pro' },
        ],
      },
    });
    // As tickets count copies: a-2's second copy updates its first, and is one repeated.
    expect(await readJson(response)).toEqual({
      received: 3,
      created: 1,
      updated: 2,
      repeated: 1,
    });
    const page = await readJson(await t.request('/v1/accounts?limit=1'));
    expect(page.data.map((a: { id: string }) => a.id)).toEqual(['a-1']);
    const next = await readJson(await t.request(`/v1/accounts?limit=1&cursor=${page.next_cursor}`));
    expect(next.data[0]).toMatchObject({ id: 'a-2', plan: 'pro', contacts: [] });
    expect(next.next_cursor).toBeNull();
  });

  it('answers 400 for a cursor it never issued instead of an empty page', async () => {
    await t.request('/v1/accounts/a-1', { method: 'PUT', json: { plan: 'starter' } });
    const cursors = ['/v1/accounts', '/v1/reasons', '/v1/email-suppressions'].flatMap((path) =>
      ['zzz', 'zzzzz', encodeURIComponent('a/b')].map((cursor) => `${path}?cursor=${cursor}`),
    );
    for (const url of cursors) {
      const body = await expectProblem(await t.request(url), 400, 'validation_failed');
      expect(JSON.stringify(body)).toContain('next_cursor');
    }
    await expectProblem(await t.request('/v1/api-keys?cursor=zzz'), 400, 'validation_failed');
  });

  it('rejects a 5,001-account batch and writes nothing', async () => {
    const accounts = Array.from({ length: 5_001 }, (_, i) => ({ id: `a-${i}` }));
    const body = await expectProblem(
      await t.request('/v1/accounts/batch', { method: 'POST', json: { accounts } }),
      400,
      'validation_failed',
    );
    expect(body.errors[0].path).toBe('accounts');
    expect(await count('accounts')).toBe(0);
  });

  it('rejects bad fields by name and writes nothing', async () => {
    const body = await expectProblem(
      await t.request('/v1/accounts/batch', {
        method: 'POST',
        json: {
          accounts: [
            { id: 'ok' },
            {
              id: 'bad',
              time_zone: 'Mars/Olympus',
              locale: 'not a locale!',
              contacts: [{ email: 'nope' }],
              churned_at: 'last week',
              attributes: { ['k'.repeat(101)]: 1 },
            },
            { id: 'not-an-object', attributes: ['plan'] },
          ],
        },
      }),
      400,
      'validation_failed',
    );
    expect(body.errors.map((e: { path: string }) => e.path).sort()).toEqual([
      `accounts.1.attributes.${'k'.repeat(101)}`,
      'accounts.1.churned_at',
      'accounts.1.contacts.0.email',
      'accounts.1.locale',
      'accounts.1.time_zone',
      'accounts.2.attributes',
    ]);
    expect(await count('accounts')).toBe(0);
  });

  const ONE_LINE = 'must be one line, without control characters';
  const NO_BIDI = expect.stringMatching(/^must not contain bidirectional/);
  it.each([
    ['a line break in a plan', 'PUT', { plan: 'pro\r\nBcc: x@evil.example' }, 'plan', ONE_LINE],
    ['a right-to-left override in a region', 'PUT', { region: 'eu\u202Etsew' }, 'region', NO_BIDI],
    [
      'a line separator in a batched plan',
      'POST',
      {
        accounts: [
          { id: 'ok', plan: 'pro' },
          { id: 'bad', plan: 'pro\u2028team' },
        ],
      },
      'accounts.1.plan',
      ONE_LINE,
    ],
    [
      'an isolate in a batched region',
      'POST',
      { accounts: [{ id: 'bad', region: '\u2066eu-west' }] },
      'accounts.0.region',
      NO_BIDI,
    ],
    [
      'an override in a batched id',
      'POST',
      { accounts: [{ id: 'acct\u202E1' }] },
      'accounts.0.id',
      'must be printable ASCII without spaces',
    ],
  ])(
    'refuses %s with 400 naming the field, storing nothing',
    async (_, method, json, path, message) => {
      const url = method === 'PUT' ? '/v1/accounts/acct-1' : '/v1/accounts/batch';
      const body = await expectProblem(
        await t.request(url, { method, json }),
        400,
        'validation_failed',
      );
      expect(body.errors).toContainEqual({ location: 'body', path, message });
      expect(await count('accounts')).toBe(0);
    },
  );

  const DOT_SEGMENT = 'must not be "." or "..", which a URL cannot hold as a path segment';
  it('refuses "." and ".." as a batched id, naming the field, as no /v1/accounts/{id} URL could reach, change or delete them', async () => {
    for (const id of ['.', '..', ' .. ']) {
      const body = await expectProblem(
        await t.request('/v1/accounts/batch', {
          method: 'POST',
          json: { accounts: [{ id: 'ok' }, { id }] },
        }),
        400,
        'validation_failed',
      );
      expect(body.errors).toEqual([
        { location: 'body', path: 'accounts.1.id', message: DOT_SEGMENT },
      ]);
    }
    expect(await count('accounts')).toBe(0);
  });

  it('reaches every id it accepts through /v1/accounts/{id}, encoded as encodeURIComponent does', async () => {
    // Slashes, query and fragment marks, percent signs and dots among other characters stay
    // one path segment when encoded; spaces around an id are trimmed, inside one refused.
    const ids = [
      'a/b',
      '/',
      'a?b',
      '?',
      'a#b',
      '#',
      '%',
      '%2E',
      '%2e%2e',
      '...',
      '.a',
      'a\\b',
      '+',
    ];
    const batch = await t.request('/v1/accounts/batch', {
      method: 'POST',
      json: { accounts: [...ids.map((id) => ({ id })), { id: ' spaced ' }] },
    });
    expect(batch.status).toBe(200);
    for (const id of [...ids, 'spaced']) {
      const url = `/v1/accounts/${encodeURIComponent(id)}`;
      const got = await t.request(url);
      expect(got.status, id).toBe(200);
      expect((await readJson(got)).id).toBe(id);
      expect((await t.request(`${url}/notices`)).status, id).toBe(200);
      expect((await t.request(url, { method: 'PUT', json: { plan: 'pro' } })).status, id).toBe(200);
      expect((await t.request(url, { method: 'DELETE' })).status, id).toBe(204);
    }
    expect(await count('accounts')).toBe(0);
  });

  it('stores an attribute named __proto__ like any other key, and audience rules match it without polluting a prototype', async () => {
    // Sent as text: a `__proto__` key in an object literal would set the literal's prototype.
    const sendJson = (path: string, method: string, body: string) =>
      t.request(path, { method, body, headers: { 'content-type': 'application/json' } });
    const put = await sendJson(
      '/v1/accounts/odd-keys',
      'PUT',
      '{"attributes":{"__proto__":{"polluted":"yes"},"constructor":"custom","seats":3}}',
    );
    expect(put.status).toBe(201);
    const batch = await sendJson(
      '/v1/accounts/batch',
      'POST',
      '{"accounts":[{"id":"batched","attributes":{"__proto__":{"polluted":"yes"}}},' +
        '{"id":"plain","attributes":{"seats":3}}]}',
    );
    expect(batch.status).toBe(200);

    const attributes = (await readJson(await t.request('/v1/accounts/odd-keys'))).attributes;
    expect(Object.keys(attributes).sort()).toEqual(['__proto__', 'constructor', 'seats']);
    expect(Object.getOwnPropertyDescriptor(attributes, '__proto__')?.value).toEqual({
      polluted: 'yes',
    });
    const stored = rowsOf<{ id: string; polluted: string | null }>(
      await t.deps.db.execute(sql`
        select id, attributes #>> '{__proto__,polluted}' as polluted from accounts order by id`),
    );
    expect(stored).toEqual([
      { id: 'batched', polluted: 'yes' },
      { id: 'odd-keys', polluted: 'yes' },
      { id: 'plain', polluted: null },
    ]);

    const appKey = await t.keyFor('app');
    const noticesOf = async (id: string) =>
      (await readJson(await t.request(`/v1/accounts/${id}/notices`, { key: appKey }))).notices.map(
        (notice: { title: string }) => notice.title,
      );
    const banner = { channels: ['banner'], title: 'Odd keys', publish: true };
    const byProto: Audience = {
      type: 'rule',
      all: [{ attribute: 'attributes.__proto__.polluted', op: 'eq', value: 'yes' }],
    };
    await publishCampaign(t, { ...banner, title: 'By __proto__', audience: byProto });
    await publishCampaign(t, {
      ...banner,
      title: 'By constructor',
      audience: { type: 'rule', all: [{ attribute: 'attributes.constructor', op: 'exists' }] },
    });
    expect((await noticesOf('odd-keys')).sort()).toEqual(['By __proto__', 'By constructor']);
    expect(await noticesOf('batched')).toEqual(['By __proto__']);
    // An inherited `constructor` is no attribute.
    expect(await noticesOf('plain')).toEqual([]);
    // Counting in the database agrees with the notices API.
    expect(await audienceSize(t.deps.db, byProto)).toBe(2);

    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect('polluted' in Object.prototype).toBe(false);
  });

  it('records when an account churned or downgraded, and clears it when replaced without', async () => {
    const put = (body: object) => t.request('/v1/accounts/acme', { method: 'PUT', json: body });
    const churned = await readJson(
      await put({ ...acme, churned_at: '2026-03-20T11:00:00+01:00', downgraded_at: null }),
    );
    expect(churned).toMatchObject({ churned_at: '2026-03-20T10:00:00.000Z', downgraded_at: null });
    const read = await readJson(await t.request('/v1/accounts/acme'));
    expect(read.churned_at).toBe('2026-03-20T10:00:00.000Z');
    expect(await readJson(await put(acme))).toMatchObject({ churned_at: null });
  });
});
