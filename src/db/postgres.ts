import { drizzle } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import type { Database } from './database';
import * as schema from './schema';

export type PostgresOptions = {
  poolMax?: number;
  /** Seconds to wait for a connection before a query fails (keeps /ready from hanging). */
  connectTimeoutSeconds?: number;
  /** Postgres cancels a statement running longer than this (0 or unset: no limit). */
  statementTimeoutMs?: number;
};

/** postgres.js with a pool; safe for the Workers bundle (no Node-only imports). */
export function openPostgres(url: string, options: PostgresOptions = {}): Database {
  const client = postgres(url, {
    max: options.poolMax ?? 10,
    connect_timeout: options.connectTimeoutSeconds ?? 5,
    onnotice: () => {},
    ...(options.statementTimeoutMs
      ? { connection: { statement_timeout: options.statementTimeoutMs } }
      : {}),
  });
  const db = drizzle(client, { schema });
  return { db, native: db, driver: 'postgres', close: () => client.end({ timeout: 5 }) };
}
