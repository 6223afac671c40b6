import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/test-app';

/**
 * A long statement (an import, a merge of reasons, an analyst's range) must not hold the
 * answers that do not need it: /health, and notices answered from memory. On Postgres the
 * statement runs in the server; on the embedded database, on a thread of its own.
 */
describe('answers while the database works on a long statement', () => {
  let t: TestApp;
  let appKey: string;
  beforeAll(async () => {
    t = await startTestApp();
    appKey = await t.keyFor('app');
    await t.request('/v1/accounts/acct-1', { method: 'PUT', json: { plan: 'pro' } });
    // Known to this instance, so its notices can be answered from memory.
    expect((await t.request('/v1/accounts/acct-1/notices', { key: appKey })).status).toBe(200);
  });
  afterAll(() => t.close());

  it('answers /health and an account’s notices before the statement ends', async () => {
    let statementEnded = false;
    const statement = t.deps.db.execute(sql`select pg_sleep(3)`).then(() => {
      statementEnded = true;
    });
    // A turn of the event loop: the statement is under way (a database on the request thread
    // would let this timer fire only once it ended).
    await new Promise((resolve) => setTimeout(resolve, 100));
    const health = await t.request('/health', { key: null });
    expect(health.status).toBe(200);
    const notices = await t.request('/v1/accounts/acct-1/notices', { key: appKey });
    expect(notices.status).toBe(200);
    expect(statementEnded).toBe(false);
    await statement;
  });
});
