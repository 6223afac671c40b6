import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Db } from '../../../src/db/database';
import {
  ACCOUNT_SYNC_EVERY_MS,
  createAccountCache,
} from '../../../src/modules/notices/account-cache';

/**
 * The change feed as the notices hot path reads it, over a database that answers and then
 * goes away (every read refused), with the clock under the test's control.
 */
describe('the notices account cache when the database goes away', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['performance', 'setTimeout', 'clearTimeout', 'Date'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  function database() {
    const state = { away: false, reads: 0 };
    const db = {
      execute: async () => {
        state.reads++;
        if (state.away) throw new Error('connect ECONNREFUSED 127.0.0.1:5432');
        return [{ horizon: '100', changed: null }];
      },
    } as unknown as Db;
    return { db, state };
  }

  it('stops making requests wait once a read has failed, and probes in the background until one succeeds', async () => {
    const { db, state } = database();
    const cache = createAccountCache({ maxBytes: 2 ** 20 });
    await cache.sync(db);
    state.away = true;
    await vi.advanceTimersByTimeAsync(ACCOUNT_SYNC_EVERY_MS);
    // The first read after the database left is waited for (briefly) by the request that
    // starts it, and fails.
    await cache.sync(db);
    const readsWhenFound = state.reads;
    // For the next ten seconds, no request gets anything to wait on.
    const waited: number[] = [];
    for (let ms = 0; ms < 10_000; ms += 100) {
      if (cache.sync(db) !== undefined) waited.push(ms);
      await vi.advanceTimersByTimeAsync(100);
    }
    expect(waited).toEqual([]);
    // Probes, paced: about one per sync period, not one per request.
    const probes = state.reads - readsWhenFound;
    expect(probes).toBeGreaterThanOrEqual(10_000 / ACCOUNT_SYNC_EVERY_MS - 2);
    expect(probes).toBeLessThanOrEqual(10_000 / ACCOUNT_SYNC_EVERY_MS + 1);

    // Back: the next probe succeeds, and the cache is fresh again (nothing to wait for).
    state.away = false;
    await vi.advanceTimersByTimeAsync(ACCOUNT_SYNC_EVERY_MS);
    expect(cache.sync(db)).toBeUndefined();
    await vi.advanceTimersByTimeAsync(0);
    expect(cache.sync(db)).toBeUndefined();
  });
});
