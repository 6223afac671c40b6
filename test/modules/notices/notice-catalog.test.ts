import { afterAll, beforeAll, beforeEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import type { Db } from '../../../src/db/database';
import {
  CATALOG_REFRESH_MS,
  createCatalogMemory,
  createNoticeCatalog,
  type LiveSet,
} from '../../../src/modules/notices/notice-catalog';
import { createCampaign } from '../../helpers/campaigns';
import { publishCampaign, resetNotices } from '../../helpers/notices';
import { startTestApp, type TestApp } from '../../helpers/test-app';

const banner = (title: string) => ({
  channels: ['banner'],
  title,
  body: `${title}.`,
  severity: 'info',
  audience: { type: 'all' },
  publish: true,
});

/**
 * The database, with the answers to `select` handed back `lag()` ms after they were read: a
 * slow network between an instance and Postgres, so a read can be overtaken.
 */
function answeringLate(db: Db, lag: () => number): Db {
  const late = (query: object): object =>
    new Proxy(query, {
      get(target, property) {
        const value = Reflect.get(target, property);
        if (property === 'then') {
          return (resolve: (rows: unknown) => void, reject: (error: unknown) => void) => {
            const ms = lag();
            return (target as PromiseLike<unknown>)
              .then((rows) => new Promise((wait) => setTimeout(() => wait(rows), ms)))
              .then(resolve, reject);
          };
        }
        return typeof value === 'function'
          ? (...args: unknown[]) => late(value.apply(target, args))
          : value;
      },
    });
  return new Proxy(db, {
    get(target, property) {
      const value = Reflect.get(target, property);
      return property === 'select'
        ? (...args: unknown[]) => late(value.apply(target, args))
        : value;
    },
  });
}

const titles = (set: LiveSet) => set.notices.map((n) => n.content.title).sort();
const pastRefresh = () => new Promise((resolve) => setTimeout(resolve, CATALOG_REFRESH_MS + 50));

describe('notice catalog', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());
  beforeEach(() => resetNotices(t, [{ id: 'acct-1' }]));

  // Another instance's catalog over the same database.
  const otherCatalog = () => createNoticeCatalog(t.database.db, t.clock);

  it('keeps the compiled notices of unchanged campaigns and compiles only new versions', async () => {
    const kept = await publishCampaign(t, banner('Kept'));
    const edited = await publishCampaign(t, banner('Edited'));
    const catalog = otherCatalog();
    const before = await catalog.current();
    expect(titles(before)).toEqual(['Edited', 'Kept']);

    const patched = await t.request(`/v1/campaigns/${edited.id}`, {
      method: 'PATCH',
      json: { title: 'Edited again' },
    });
    expect(patched.status).toBe(200);
    await pastRefresh();
    const after = await catalog.current();
    expect(titles(after)).toEqual(['Edited again', 'Kept']);
    const find = (set: LiveSet, id: string) => set.notices.find((n) => n.id === id);
    expect(find(after, kept.id)).toBe(find(before, kept.id));
    expect(find(after, edited.id)).not.toBe(find(before, edited.id));
  });

  it('answers from memory while one request reads it again', async () => {
    await publishCampaign(t, banner('First'));
    // The catalog's age is read from performance.now(): faked alone, so the time a loaded
    // machine takes to publish the second campaign cannot age the catalog past serving it.
    vi.useFakeTimers({ toFake: ['performance'] });
    onTestFinished(() => {
      vi.useRealTimers();
    });
    const catalog = otherCatalog();
    const first = await catalog.current();
    // Fresh: no read, and no promise to wait for.
    expect(catalog.current()).toBe(first);

    await publishCampaign(t, banner('Second'));
    vi.advanceTimersByTime(CATALOG_REFRESH_MS + 50);
    const refreshing = catalog.current();
    expect(refreshing).toBeInstanceOf(Promise);
    // Meanwhile other requests get the catalog as it was, at once.
    const meanwhile = catalog.current();
    expect(meanwhile).not.toBeInstanceOf(Promise);
    expect(titles(meanwhile as LiveSet)).toEqual(['First']);
    // The request that started the read has the new catalog, or (on a machine slow enough
    // that the read overran DATABASE_WAIT_MS) the one it had; the read lands either way.
    expect([['First'], ['First', 'Second']]).toContainEqual(titles(await refreshing));
    await vi.waitFor(async () => {
      expect(titles(await catalog.current())).toEqual(['First', 'Second']);
    }, 10_000);
  });

  it('shows this instance its own change even while an older read is still on its way', async () => {
    await publishCampaign(t, banner('Before'));
    let lag = 500;
    const catalog = createNoticeCatalog(
      answeringLate(t.database.db, () => lag),
      t.clock,
    );
    const olderRead = catalog.current();
    await new Promise((resolve) => setTimeout(resolve, 100));
    await createCampaign(t, banner('After'));
    lag = 0;
    catalog.invalidate();
    expect(titles(await catalog.current())).toEqual(['After', 'Before']);
    expect(titles(await olderRead)).toEqual(['Before']);
    // The older read, answered last, is not kept.
    expect(titles(await catalog.current())).toEqual(['After', 'Before']);
  });

  it('is read once for all the requests of a Workers isolate, which share its memory', async () => {
    await publishCampaign(t, banner('Shared'));
    const memory = createCatalogMemory();
    // On Workers each request builds its own catalog over the isolate's memory.
    const perRequest = () => createNoticeCatalog(t.database.db, t.clock, memory);
    expect(titles(await perRequest().current())).toEqual(['Shared']);
    const next = perRequest().current();
    expect(next).not.toBeInstanceOf(Promise);
    expect(titles(next as LiveSet)).toEqual(['Shared']);

    // One request's own change shows to the next, even past a read another request began.
    const slow = createNoticeCatalog(
      answeringLate(t.database.db, () => 300),
      t.clock,
      memory,
    );
    await pastRefresh();
    const olderRead = slow.current();
    await new Promise((resolve) => setTimeout(resolve, 100));
    await createCampaign(t, banner('Changed'));
    perRequest().invalidate();
    expect(titles(await perRequest().current())).toEqual(['Changed', 'Shared']);
    await olderRead;
    expect(titles(await perRequest().current())).toEqual(['Changed', 'Shared']);
  });
});
