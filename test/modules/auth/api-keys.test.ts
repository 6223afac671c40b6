import { and, eq, inArray, isNull, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDeps } from '../../../src/composition-root';
import { loadConfig } from '../../../src/config';
import { rowsOf } from '../../../src/db/json-param';
import { apiKeys } from '../../../src/db/schema';
import { createLogger } from '../../../src/logger';
import { hashApiKey } from '../../../src/modules/auth/api-key-secret';
import { authenticateApiKey, principalInMemory } from '../../../src/modules/auth/api-keys.service';
import { PRINCIPAL_CACHE_MS } from '../../../src/modules/auth/remembered-keys';
import { expectProblem } from '../../helpers/problem';
import { readJson } from '../../helpers/read-json';
import { signal } from '../../helpers/signal';
import { startTestApp, type TestApp } from '../../helpers/test-app';

describe('API keys', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  const createKey = async (role: string, name = `${role} key`) => {
    const response = await t.request('/v1/api-keys', { method: 'POST', json: { name, role } });
    expect(response.status).toBe(201);
    return readJson(response);
  };

  it('shows a new key once and stores only its hash', async () => {
    const created = await createKey('ops', 'status page publisher');
    expect(created.key).toMatch(/^fst_[A-Za-z0-9_-]{32}$/);
    expect(created.key.startsWith(created.prefix)).toBe(true);
    expect(created).toMatchObject({ role: 'ops', name: 'status page publisher', revoked_at: null });

    const [row] = await t.deps.db.select().from(apiKeys).where(eq(apiKeys.id, created.id));
    expect(Object.values(row ?? {})).not.toContain(created.key);
    expect(row?.secretHash).toMatch(/^[0-9a-f]{64}$/);

    const listed = await readJson(await t.request('/v1/api-keys'));
    const entry = listed.data.find((key: { id: string }) => key.id === created.id);
    expect(entry).toMatchObject({ prefix: created.prefix, role: 'ops' });
    expect(entry).not.toHaveProperty('key');
    expect(JSON.stringify(listed)).not.toContain(created.key);
  });

  it('records who created a key and when it was last used', async () => {
    const created = await createKey('analyst');
    expect(created.created_by).toEqual(expect.any(String));
    expect(created.last_used_at).toBeNull();

    t.clock.advance(5 * 60_000);
    const usedAt = t.clock.now().toISOString();
    // The analyst key may not list keys, but presenting it still counts as using it.
    await t.request('/v1/api-keys', { key: created.key });
    const [row] = await t.deps.db.select().from(apiKeys).where(eq(apiKeys.id, created.id));
    expect(row?.lastUsedAt?.toISOString()).toBe(usedAt);
  });

  it('writes last_used_at at most once a minute per key', async () => {
    const created = await createKey('app');
    await t.request('/health', { key: created.key });
    await t.request('/v1/job-runs', { key: created.key });
    const first = (await t.deps.db.select().from(apiKeys).where(eq(apiKeys.id, created.id)))[0];
    t.clock.advance(30_000);
    await t.request('/v1/job-runs', { key: created.key });
    const second = (await t.deps.db.select().from(apiKeys).where(eq(apiKeys.id, created.id)))[0];
    expect(second?.lastUsedAt).toEqual(first?.lastUsedAt);
    t.clock.advance(31_000);
    await t.request('/v1/job-runs', { key: created.key });
    const third = (await t.deps.db.select().from(apiKeys).where(eq(apiKeys.id, created.id)))[0];
    expect(third?.lastUsedAt?.getTime()).toBe(t.clock.now().getTime());
  });

  it('stops accepting a revoked key at once', async () => {
    const created = await createKey('admin', 'second admin');
    expect((await t.request('/v1/api-keys', { key: created.key })).status).toBe(200);

    const revoked = await t.request(`/v1/api-keys/${created.id}`, { method: 'DELETE' });
    expect(revoked.status).toBe(200);
    expect((await readJson(revoked)).revoked_at).toBe(t.clock.now().toISOString());

    const after = await t.request('/v1/api-keys', { key: created.key });
    await expectProblem(after, 401, 'unauthorized');
  });

  it('is refused by another instance within a second of its revocation', async () => {
    const created = await createKey('ops');
    const other = buildDeps(loadConfig({ LOG_LEVEL: 'silent' }), t.database.db, {
      clock: t.clock,
      logger: createLogger('silent'),
    });
    expect(await authenticateApiKey(other, created.key)).toMatchObject({ role: 'ops' });
    await t.request(`/v1/api-keys/${created.id}`, { method: 'DELETE' });
    const revoked = performance.now();
    while (await authenticateApiKey(other, created.key)) {
      expect(performance.now() - revoked).toBeLessThan(PRINCIPAL_CACHE_MS + 200);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  });

  it('is checked again in steady use by one request while the others are answered at once', async () => {
    const created = await createKey('app');
    const first = await authenticateApiKey(t.deps, created.key);
    // Checked a moment ago: answered from memory, with no promise to wait for.
    expect(principalInMemory(t.deps, created.key)).toEqual(first);
    await new Promise((resolve) => setTimeout(resolve, PRINCIPAL_CACHE_MS / 2 + 20));
    const recheck = authenticateApiKey(t.deps, created.key);
    expect(recheck).toBeInstanceOf(Promise);
    expect(principalInMemory(t.deps, created.key)).toEqual(first);
    expect(await recheck).toEqual(first);
    expect(principalInMemory(t.deps, created.key)).toEqual(first);
  });

  it('answers at once the requests that follow a check begun as the trust window closed', async () => {
    const created = await createKey('app');
    const principal = await authenticateApiKey(t.deps, created.key);
    const remembered = t.deps.principals.get(hashApiKey(created.key));
    if (!remembered) throw new Error('the key was not remembered');
    // The check started just as the key left its trust window, and the database has not
    // answered it yet (as when a connection drops under it).
    remembered.checkedAt = performance.now() - PRINCIPAL_CACHE_MS - 1;
    remembered.recheck = new Promise(() => {});
    remembered.recheckStartedAt = performance.now();
    expect(principalInMemory(t.deps, created.key)).toEqual(principal);
    const next = await Promise.race([
      authenticateApiKey(t.deps, created.key),
      new Promise((resolve) => setImmediate(() => resolve('waited for the check'))),
    ]);
    expect(next).toEqual(principal);
    remembered.recheck = undefined;
  });

  it('treats a repeated revocation as done', async () => {
    const created = await createKey('ops');
    const first = await readJson(
      await t.request(`/v1/api-keys/${created.id}`, { method: 'DELETE' }),
    );
    t.clock.advance(60_000);
    const again = await t.request(`/v1/api-keys/${created.id}`, { method: 'DELETE' });
    expect(again.status).toBe(200);
    expect((await readJson(again)).revoked_at).toBe(first.revoked_at);
  });

  it('hides revoked keys from the list unless asked', async () => {
    const created = await createKey('ops', 'to be revoked');
    await t.request(`/v1/api-keys/${created.id}`, { method: 'DELETE' });
    const active = await readJson(await t.request('/v1/api-keys?limit=200'));
    expect(active.data.map((key: { id: string }) => key.id)).not.toContain(created.id);
    const all = await readJson(await t.request('/v1/api-keys?limit=200&include_revoked=true'));
    expect(all.data.map((key: { id: string }) => key.id)).toContain(created.id);
  });

  it('pages through keys with a cursor, oldest first, without repeats', async () => {
    for (let i = 0; i < 5; i++) await createKey('app', `paged ${i}`);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = cursor ? `&cursor=${cursor}` : '';
      const page = await readJson(await t.request(`/v1/api-keys?limit=2${query}`));
      expect(page.data.length).toBeLessThanOrEqual(2);
      seen.push(...page.data.map((key: { id: string }) => key.id));
      cursor = page.next_cursor;
      pages++;
    } while (cursor);
    const all = await readJson(await t.request('/v1/api-keys?limit=200'));
    expect(seen).toEqual(all.data.map((key: { id: string }) => key.id));
    expect(new Set(seen).size).toBe(seen.length);
    expect(pages).toBe(Math.ceil(seen.length / 2));
  });

  it('rejects a key that merely looks right', async () => {
    const created = await createKey('ops');
    const tampered = `${created.key.slice(0, -1)}${created.key.endsWith('A') ? 'B' : 'A'}`;
    await expectProblem(await t.request('/v1/api-keys', { key: tampered }), 401, 'unauthorized');
  });

  it('never writes a key into the logs', async () => {
    const created = await createKey('ops');
    await t.request('/v1/api-keys', { key: created.key });
    expect(t.logs.join('\n')).not.toContain(created.key);
    expect(t.logs.join('\n')).not.toContain(t.adminKey);
  });
});

// The embedded database runs one transaction at a time: there revocations simply take turns.
describe.runIf(process.env.TEST_DATABASE_URL)('revoking admin keys at the same moment', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  const createAdmin = async (asKey: string, name: string) => {
    const response = await t.request('/v1/api-keys', {
      method: 'POST',
      key: asKey,
      json: { name, role: 'admin' },
    });
    expect(response.status).toBe(201);
    const created = (await readJson(response)) as { id: string; key: string };
    // Used once now, so neither revocation below writes its caller's last_used_at.
    expect((await t.request('/v1/job-runs', { key: created.key })).status).toBe(200);
    return created;
  };

  /**
   * Both revocations sent while another transaction holds both keys, so each has started and
   * waits when that one ends: they then run truly at once, every time.
   */
  async function revokeEachOther(a: { id: string; key: string }, b: { id: string; key: string }) {
    const locked = signal();
    const release = signal();
    const holder = t.deps.db.transaction(async (tx) => {
      await tx
        .select()
        .from(apiKeys)
        .where(inArray(apiKeys.id, [a.id, b.id]))
        .for('update');
      locked.fire();
      await release.fired;
    });
    await locked.fired;
    const revocations = Promise.all([
      t.request(`/v1/api-keys/${a.id}`, { method: 'DELETE', key: b.key }),
      t.request(`/v1/api-keys/${b.id}`, { method: 'DELETE', key: a.key }),
    ]);
    while (true) {
      const [waiting] = rowsOf<{ count: number }>(
        await t.deps.db.execute(sql`
          select count(*)::int as count from pg_stat_activity
          where datname = current_database() and wait_event_type = 'Lock'`),
      );
      if (waiting?.count === 2) break;
    }
    release.fire();
    await holder;
    return revocations;
  }

  it('keeps one of the last two admin keys: one revocation 200, the other 409, each time', async () => {
    let survivor = await createAdmin(t.adminKey, 'admin 0');
    const [testAdmin] = await t.deps.db
      .select()
      .from(apiKeys)
      .where(eq(apiKeys.name, 'test admin'));
    await t.request(`/v1/api-keys/${testAdmin?.id}`, { method: 'DELETE', key: survivor.key });
    for (let round = 1; round <= 4; round++) {
      const other = await createAdmin(survivor.key, `admin ${round}`);
      const [first, second] = await revokeEachOther(survivor, other);
      expect([first.status, second.status].sort()).toEqual([200, 409]);
      await expectProblem(first.status === 409 ? first : second, 409, 'last_admin_key');
      if (first.status === 200) survivor = other;
      const active = await t.deps.db
        .select({ id: apiKeys.id })
        .from(apiKeys)
        .where(and(eq(apiKeys.role, 'admin'), isNull(apiKeys.revokedAt)));
      expect(active).toEqual([{ id: survivor.id }]);
    }
    expect(t.logs.join('\n')).not.toContain('deadlock');
  }, 30_000);
});
