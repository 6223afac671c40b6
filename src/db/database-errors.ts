import postgres from 'postgres';
import { postgresCode } from './retry-transaction';

/**
 * How long a request that can answer from memory (the notices catalog, cached accounts, a key
 * checked before) waits for a database read before it does: a read takes a few ms, and a
 * database that stopped answering must not hold product apps (test/bench/README.md says why
 * 50 ms).
 */
export const DATABASE_WAIT_MS = 50;

/** How long a client should wait before retrying a request the database could not serve. */
export const DATABASE_RETRY_AFTER_SECONDS = 5;

// What postgres.js rejects a query with when it finds its connection ended.
const DRIVER_CONNECTION_ENDED = ['CONNECTION_CLOSED', 'CONNECTION_ENDED', 'CONNECTION_DESTROYED'];
// A socket's own error, as postgres.js rejects with it when the server resets the connection.
const SOCKET_ENDED = ['ECONNRESET', 'EPIPE', 'ETIMEDOUT'];

// postgres.js and Node name a lost or refused connection by these codes, not by a SQLSTATE.
const CONNECTION_CODES = new Set([
  ...DRIVER_CONNECTION_ENDED,
  ...SOCKET_ENDED,
  'CONNECT_TIMEOUT',
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

// SQLSTATE classes and codes that say "not now" rather than "not this": connection
// exceptions, insufficient resources, operator intervention (shutdown, statement timeout),
// serialization failures and deadlocks, a lock wait given up, a read-only standby.
const TRANSIENT_STATES = /^(08|53|57|40001|40P01|55P03|25006)/;

const UNIQUE_VIOLATION = '23505';

/**
 * Whether a database error is a unique violation of the named constraint (postgres.js names
 * it `constraint_name`, PGlite `constraint`).
 */
export function violatesUnique(error: unknown, constraint: string): boolean {
  if (postgresCode(error) !== UNIQUE_VIOLATION) return false;
  for (let current = error; current instanceof Error; current = current.cause) {
    const named =
      ('constraint_name' in current && current.constraint_name) ||
      ('constraint' in current && current.constraint);
    if (named) return named === constraint;
  }
  return false;
}

/** What kind of failure a database error is, for the HTTP layer to answer (see `asAppError`). */
export type DatabaseFailure = 'transient' | 'bad_value' | 'conflict';

/**
 * `transient` when the database is away or busy (worth a 503 with `Retry-After`, so clients
 * retry instead of giving up on a 500). Data exceptions (class 22) and integrity violations
 * (class 23) that input validation should have caught are the client's problem rather than a
 * 500; they are logged so the gap is closed. Anything else: undefined.
 */
export function databaseFailure(error: unknown): DatabaseFailure | undefined {
  const code = postgresCode(error);
  if (code === undefined) return undefined;
  if (CONNECTION_CODES.has(code) || TRANSIENT_STATES.test(code)) return 'transient';
  if (code.startsWith('22')) return 'bad_value';
  if (code.startsWith('23')) return 'conflict';
  return undefined;
}

// Postgres ended the connection: a connection exception, or an administrator, a shutdown or a
// failover (57P01–03).
const CONNECTION_ENDED_STATES = /^(08|57P0[123])/;

/** What the embedded database's client fails a query with once its thread has stopped. */
export const CONNECTION_FAILURE = '08006';

/**
 * Whether an error is postgres.js saying a database connection ended, or the embedded
 * database's thread having stopped, and nothing else: a network error of another client (a
 * `fetch` reset, a name not found) is not one. A bare socket error counts: the server's HTTP
 * clients (fetch) wrap theirs in a `TypeError`.
 */
export function isDatabaseConnectionEnd(error: unknown): boolean {
  if (
    error instanceof Error &&
    'syscall' in error &&
    'code' in error &&
    typeof error.code === 'string' &&
    SOCKET_ENDED.includes(error.code)
  ) {
    return true;
  }
  for (let current = error; current instanceof Error; current = current.cause) {
    if (current instanceof postgres.PostgresError) {
      return CONNECTION_ENDED_STATES.test(current.code);
    }
    const code = 'code' in current ? current.code : undefined;
    if (code === CONNECTION_FAILURE) return true;
    if (typeof code === 'string' && DRIVER_CONNECTION_ENDED.includes(code)) return true;
  }
  return false;
}

/**
 * What a log line should say of a database failure: the innermost message (the driver's or
 * Postgres's own), short, without the statement and its parameters drizzle wraps it in.
 */
export function databaseErrorSummary(error: unknown): string {
  let inner = error;
  while (inner instanceof Error && inner.cause instanceof Error) inner = inner.cause;
  const message = inner instanceof Error ? inner.message : String(inner);
  return message.length > 300 ? `${message.slice(0, 300)}…` : message;
}
