import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonParam } from '../../../src/db/json-param';
import { sourcesToLookIn, storedUnderOtherSource } from '../../../src/modules/tickets/other-source';
import { startTestApp, type TestApp } from '../../helpers/test-app';

describe('looking up tickets stored under another source', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('finds them under another source however many sources its own tickets are under', async () => {
    const created = await t.request('/v1/tickets', {
      method: 'POST',
      json: {
        tickets: Array.from({ length: 30 }, (_, i) => ({
          source: 'zendesk',
          external_id: `z-${i}`,
          reason: 'Billing',
          created_at: '2026-02-02T10:00:00Z',
        })),
      },
    });
    expect(created.status).toBe(200);
    // A file with a source per row, written already by the import that looks (its own), every
    // one named before "zendesk": 6,000 of them, more than the look-up walks.
    await t.deps.db.execute(sql`
      insert into tickets (source, external_id, raw_reason_key, reason_slug, created_at)
      select 'a-' || lpad(i::text, 5, '0'), 'own-' || i, 'billing', 'billing', '2026-02-02T10:00:00Z'
      from generate_series(1, 6000) as i`);
    const own = Array.from({ length: 6000 }, (_, i) => ({
      source: `a-${String(i + 1).padStart(5, '0')}`,
      externalId: `own-${i + 1}`,
    }));
    const file = Array.from({ length: 30 }, (_, i) => ({
      source: 'a-00001',
      externalId: `z-${i}`,
    }));

    const found = await storedUnderOtherSource(t.deps.db, file, own);
    expect(found).toMatchObject({ source: 'zendesk', as: 'a-00001' });
    expect(found?.matched).toBe(found?.sampled);
  });

  it('leaves out the tickets it stored itself, not the rest of their source', async () => {
    await t.deps.db.execute(sql`truncate tickets cascade`);
    const seeded = await t.request('/v1/tickets', {
      method: 'POST',
      json: {
        tickets: [
          { source: 'seed', external_id: 'x', reason: 'Billing', created_at: '2026-02-02' },
        ],
      },
    });
    expect(seeded.status).toBe(200);
    const store = (keys: { source: string; externalId: string }[]) =>
      t.deps.db.execute(sql`
        insert into tickets (source, external_id, raw_reason_key, reason_slug, created_at)
        select k.source, k.external_id, 'billing', 'billing', '2026-02-02T10:00:00Z'
        from jsonb_to_recordset(${jsonParam(
          keys.map((k) => ({ source: k.source, external_id: k.externalId })),
        )}) as k(source text, external_id text)`);
    const keys = (source: string, from: number, count: number) =>
      Array.from({ length: count }, (_, i) => ({ source, externalId: String(from + i) }));
    // The file names ids 0-9 under both its sources, and 100-129 under "a": all stored by
    // the import that looks. Someone else stored 100-129 under "b" meanwhile.
    const file = [...keys('a', 0, 10), ...keys('b', 0, 10), ...keys('a', 100, 30)];
    await store(file);
    await store(keys('b', 100, 30));

    const found = await storedUnderOtherSource(t.deps.db, file, file);
    expect(found).toMatchObject({ source: 'b', as: 'a', matched: 30, sampled: 50 });
  });

  it('probes at most 5,000 sources, the others before its own', () => {
    const named = (prefix: string, count: number) =>
      Array.from({ length: count }, (_, i) => `${prefix}-${i}`);
    const own = new Set(named('own', 6000));
    const sources = sourcesToLookIn(['zendesk', ...named('own', 3000)], own);
    expect(sources).toHaveLength(5000);
    expect(sources[0]).toBe('zendesk');
    expect(sourcesToLookIn(named('other', 5000), own)).toEqual(named('other', 5000));
    expect(sourcesToLookIn(['zendesk'], new Set(['own-1']))).toEqual(['zendesk', 'own-1']);
  });
});
