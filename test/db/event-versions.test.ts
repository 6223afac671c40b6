import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateDatabase } from '../../src/db/migrate';
import { migrateEmptyDatabaseTo } from '../helpers/migrate-to';
import { readJson } from '../helpers/read-json';
import { startTestApp, type TestApp } from '../helpers/test-app';
import { createTestDatabase } from '../helpers/test-database';

const ID = '0190a000-0000-7000-8000-0000000000e1';

/**
 * Migration 0027 gave events a version (their ETag) and kept answers an ETag. An event stored
 * before it, by a release of that time, is written here as that release wrote it; 0027 is then
 * applied as the next start applies it.
 */
describe('migration 0027 over events stored before it', () => {
  let t: TestApp;
  beforeAll(async () => {
    const database = await createTestDatabase();
    await migrateEmptyDatabaseTo(database, '0026_idempotency_work_committed');
    await database.db.execute(sql`
      insert into events (id, kind, title, starts_at, ends_at)
      values (${ID}, 'release', 'Spring release', '2026-03-10T09:00:00Z', '2026-03-10T10:00:00Z')`);
    await migrateDatabase(database);
    t = await startTestApp({ database });
  }, 60_000);
  afterAll(() => t?.close());

  it('gives each its first version, which a conditional replace then takes', async () => {
    const read = await t.request(`/v1/events/${ID}`);
    expect(read.status).toBe(200);
    const etag = read.headers.get('etag') ?? '';
    expect(etag).toMatch(/^"[^"]+"$/);
    const event = await readJson(read);
    const { id: _id, origin: _o, created_at: _c, updated_at: _u, version: _v, ...input } = event;
    const replaced = await t.request(`/v1/events/${ID}`, {
      method: 'PUT',
      json: { ...input, title: 'Spring release (late)' },
      headers: { 'if-match': etag },
    });
    expect(replaced.status).toBe(200);
    expect(replaced.headers.get('etag')).not.toBe(etag);
  });
});
