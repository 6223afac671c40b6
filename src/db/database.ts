import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import type { PgliteDatabase } from 'drizzle-orm/pglite';
import type { PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import type { Sql } from 'postgres';
import type { PgliteThreadClient } from './pglite-thread';
import type * as schema from './schema';

/** What both drivers (PGlite and postgres.js) are seen as by the rest of the code. */
export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;

export type DatabaseDriver = 'pglite' | 'postgres';

/** PGlite's drizzle database, over the client of the thread the database runs on. */
export type PgliteNative = PgliteDatabase<typeof schema> & { $client: PgliteThreadClient };

/** `native` is `db` as its driver's own type, for what only that driver does (migrate, dump). */
export type Database = { db: Db; close(): Promise<void> } & (
  | { driver: 'pglite'; native: PgliteNative }
  | { driver: 'postgres'; native: PostgresJsDatabase<typeof schema> & { $client: Sql } }
);
