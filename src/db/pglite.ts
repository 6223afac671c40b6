import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import { drizzle } from 'drizzle-orm/pglite';
import type { Database, PgliteNative } from './database';
import { migrateDatabase } from './migrate';
import { pgliteSeedPath, pgliteSeedPresent } from './pglite-seed';
import { PgliteThreadClient } from './pglite-thread';
import * as schema from './schema';

/** Node-only: loaded with a dynamic import so the Workers bundle never contains PGlite. */

export type PgliteSource =
  | { kind: 'memory' }
  | { kind: 'directory'; path: string }
  | { kind: 'snapshot'; snapshot: Blob };

/** How a directory database came to be: worth telling whoever waits for it. */
export type PgliteOpening = 'opened' | 'created' | 'created_from_seed';

export async function openPglite(
  source: PgliteSource,
  onOpening: (opening: PgliteOpening) => void = () => {},
): Promise<Extract<Database, { driver: 'pglite' }>> {
  const client = await createClient(source, onOpening);
  // drizzle types its client as a PGlite; the thread's client is one to everything it calls.
  const db = drizzle(client as unknown as PGlite, { schema }) as unknown as PgliteNative;
  return { db, native: db, driver: 'pglite', close: () => client.close() };
}

/** The database runs on a thread of its own, so a long statement holds no request. */
async function createClient(
  source: PgliteSource,
  onOpening: (opening: PgliteOpening) => void,
): Promise<PgliteThreadClient> {
  switch (source.kind) {
    case 'memory':
      return PgliteThreadClient.create({ kind: 'memory' });
    case 'directory': {
      await mkdir(source.path, { recursive: true });
      if (existsSync(join(source.path, 'PG_VERSION'))) {
        onOpening('opened');
        return PgliteThreadClient.create({ kind: 'directory', path: source.path });
      }
      const seed = await readSeed();
      onOpening(seed ? 'created_from_seed' : 'created');
      return PgliteThreadClient.create({ kind: 'directory', path: source.path, seed });
    }
    case 'snapshot':
      return PgliteThreadClient.create({
        kind: 'snapshot',
        snapshot: await source.snapshot.arrayBuffer(),
      });
  }
}

/** A migrated database saved as a tarball, so tests can clone it in well under a second. */
export async function snapshotPglite(database: Database): Promise<Blob> {
  if (database.driver !== 'pglite') throw new Error('only a PGlite database can be dumped');
  return database.native.$client.dumpDataDir('none');
}

async function readSeed(): Promise<ArrayBuffer | undefined> {
  if (!pgliteSeedPresent()) return undefined;
  const bytes = await readFile(pgliteSeedPath());
  // A file read may share its buffer with others: the thread is handed one of its own.
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
    ? (bytes.buffer as ArrayBuffer)
    : new Uint8Array(bytes).buffer;
}

/** Saves the seed for the current migrations and drops the seeds of older ones. */
export async function buildPgliteSeed(): Promise<true> {
  const path = pgliteSeedPath();
  const database = await openPglite({ kind: 'memory' });
  try {
    await migrateDatabase(database);
    const snapshot = await snapshotPglite(database);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(`${path}.partial`, new Uint8Array(await snapshot.arrayBuffer()));
    await rename(`${path}.partial`, path);
  } finally {
    await database.close();
  }
  for (const name of await readdir(dirname(path))) {
    if (name.startsWith('pglite-seed-') && join(dirname(path), name) !== path) {
      await rm(join(dirname(path), name), { force: true });
    }
  }
  return true;
}
