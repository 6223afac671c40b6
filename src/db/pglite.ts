import { mkdir } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import { drizzle } from 'drizzle-orm/pglite';
import type { Database } from './database';
import * as schema from './schema';

/** Node-only: loaded with a dynamic import so the Workers bundle never contains PGlite. */

export type PgliteSource =
  | { kind: 'memory' }
  | { kind: 'directory'; path: string }
  | { kind: 'snapshot'; snapshot: Blob };

export async function openPglite(source: PgliteSource): Promise<Database> {
  const client = await createClient(source);
  return {
    db: drizzle(client, { schema }),
    driver: 'pglite',
    close: () => client.close(),
  };
}

async function createClient(source: PgliteSource): Promise<PGlite> {
  switch (source.kind) {
    case 'memory':
      return PGlite.create();
    case 'directory':
      await mkdir(source.path, { recursive: true });
      return PGlite.create(source.path);
    case 'snapshot':
      return PGlite.create({ loadDataDir: source.snapshot });
  }
}

/** A migrated database saved as a tarball, so tests can clone it in well under a second. */
export async function snapshotPglite(database: Database): Promise<Blob> {
  const client = (database.db as unknown as { $client: PGlite }).$client;
  return client.dumpDataDir('none');
}
