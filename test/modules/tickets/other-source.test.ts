import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storedUnderOtherSource } from '../../../src/modules/tickets/other-source';
import { startTestApp, type TestApp } from '../../helpers/test-app';

describe('looking up tickets stored under another source', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('finds them under another source however many sources it was told to leave out', async () => {
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
    const own = new Set(
      Array.from({ length: 6000 }, (_, i) => `a-${String(i + 1).padStart(5, '0')}`),
    );
    const file = Array.from({ length: 30 }, (_, i) => ({
      source: 'a-00001',
      externalId: `z-${i}`,
    }));

    const found = await storedUnderOtherSource(t.deps.db, file, own);
    expect(found).toMatchObject({ source: 'zendesk', matched: 30 });
  });
});
