import type { PGlite } from '@electric-sql/pglite';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import type { PgliteDatabase } from 'drizzle-orm/pglite';
import type { PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import type { Sql } from 'postgres';
import type * as schema from './schema';

/** What both drivers (PGlite and postgres.js) are seen as by the rest of the code. */
export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;

export type DatabaseDriver = 'pglite' | 'postgres';

/** `native` is `db` as its driver's own type, for what only that driver does (migrate, dump). */
export type Database = { db: Db; close(): Promise<void> } & (
  | { driver: 'pglite'; native: PgliteDatabase<typeof schema> & { $client: PGlite } }
  | { driver: 'postgres'; native: PostgresJsDatabase<typeof schema> & { $client: Sql } }
);
