import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database';
import { isDatabaseConnectionEnd, violatesUnique } from '../../src/db/database-errors';
import { openPglite, snapshotPglite } from '../../src/db/pglite';
import { postgresCode } from '../../src/db/retry-transaction';
import { statusComponents } from '../../src/db/schema';
import { asAppError } from '../../src/http/problem';
import { readJson } from '../helpers/read-json';
import { startTestApp } from '../helpers/test-app';

/** The error a promise rejects with (undefined when it fulfils). */
const failureOf = (work: Promise<unknown>) =>
  work.then(
    () => undefined,
    (error: unknown) => error,
  );

const component = (name: string) => ({ id: randomUUID(), name });

const namesIn = async (database: Database) =>
  (await database.db.select({ name: statusComponents.name }).from(statusComponents))
    .map(({ name }) => name)
    .sort();

// The embedded database whatever the suite runs on: a directory, made from the built seed.
describe('the embedded database on a thread of its own', () => {
  let folder: string;
  let database: Extract<Database, { driver: 'pglite' }>;
  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'forestall-pglite-thread-'));
    database = await openPglite({ kind: 'directory', path: join(folder, 'data') });
  });
  afterAll(async () => {
    await database?.close();
    await rm(folder, { recursive: true, force: true });
  });

  it('keeps a unique violation’s code, constraint and detail, answered as a 409 conflict', async () => {
    await database.db.insert(statusComponents).values(component('API'));
    const error = await failureOf(database.db.insert(statusComponents).values(component('API')));
    expect(postgresCode(error)).toBe('23505');
    expect((error as Error).cause).toMatchObject({
      code: '23505',
      constraint: 'status_components_name_unique',
      table: 'status_components',
      detail: 'Key (name)=(API) already exists.',
    });
    expect(violatesUnique(error, 'status_components_name_unique')).toBe(true);
    expect(asAppError(error)).toMatchObject({ status: 409, code: 'conflict' });
    const syntax = await failureOf(database.db.execute(sql`selec 1`));
    expect(postgresCode(syntax)).toBe('42601');
    // The failed statements left the connection usable.
    expect(await namesIn(database)).toEqual(['API']);
  });

  it('commits a transaction that succeeds and rolls back one that throws', async () => {
    await database.db.transaction(async (tx) => {
      await tx.insert(statusComponents).values(component('Committed'));
    });
    const thrown = failureOf(
      database.db.transaction(async (tx) => {
        await tx.insert(statusComponents).values(component('Rolled back'));
        throw new Error('abandoned');
      }),
    );
    expect(await thrown).toMatchObject({ message: 'abandoned' });
    const refused = await failureOf(
      database.db.transaction(async (tx) => {
        await tx.insert(statusComponents).values(component('Also rolled back'));
        await tx.insert(statusComponents).values(component('API'));
      }),
    );
    expect(postgresCode(refused)).toBe('23505');
    expect(await namesIn(database)).toEqual(['API', 'Committed']);
  });

  it('dumps a database that loads back with its rows', async () => {
    const copy = await openPglite({ kind: 'snapshot', snapshot: await snapshotPglite(database) });
    try {
      expect(await namesIn(copy)).toEqual(['API', 'Committed']);
      await copy.db.delete(statusComponents).where(eq(statusComponents.name, 'API'));
      expect(await namesIn(copy)).toEqual(['Committed']);
      expect(await namesIn(database)).toEqual(['API', 'Committed']);
    } finally {
      await copy.close();
    }
  });

  it('fails the pending statement and every later one as a lost connection when its thread stops, and /ready answers 503', async () => {
    const copy = await openPglite({ kind: 'snapshot', snapshot: await snapshotPglite(database) });
    const t = await startTestApp({ database: copy });
    try {
      expect((await t.request('/ready', { key: null })).status).toBe(200);
      const sleeping = failureOf(copy.db.execute(sql`select pg_sleep(30)`));
      await copy.native.$client.terminateThread();
      const pending = await sleeping;
      expect(postgresCode(pending)).toBe('08006');
      expect(isDatabaseConnectionEnd(pending)).toBe(true);
      // The copy's rows went with its thread: it stays away rather than start empty.
      const later = await failureOf(copy.db.execute(sql`select 1`));
      expect(postgresCode(later)).toBe('08006');
      const ready = await t.request('/ready', { key: null });
      expect(ready.status).toBe(503);
      expect(await readJson(ready)).toMatchObject({ code: 'not_ready' });
      const list = await t.request('/v1/status/components');
      expect(list.status).toBe(503);
      expect(list.headers.get('retry-after')).not.toBeNull();
    } finally {
      await t.close();
    }
  });

  it('starts a new thread for a directory database, whose rows stayed on disk', async () => {
    const sleeping = failureOf(database.db.execute(sql`select pg_sleep(30)`));
    await database.native.$client.terminateThread();
    expect(postgresCode(await sleeping)).toBe('08006');
    expect(await namesIn(database)).toEqual(['API', 'Committed']);
  });
});
