import { AppError } from '../http/app-error';
import { postgresCode } from './retry-transaction';

/** How long a client should wait before retrying a request the database could not serve. */
export const DATABASE_RETRY_AFTER_SECONDS = 5;

// postgres.js and Node name a lost or refused connection by these codes, not by a SQLSTATE.
const CONNECTION_CODES = new Set([
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

// SQLSTATE classes and codes that say "not now" rather than "not this": connection
// exceptions, insufficient resources, operator intervention (shutdown, statement timeout),
// serialization failures and deadlocks, a lock wait given up, a read-only standby.
const TRANSIENT_STATES = /^(08|53|57|40001|40P01|55P03|25006)/;

/**
 * The answer a database failure deserves: 503 with `Retry-After` when the database is away or
 * busy, so clients retry instead of giving up on a 500. Data exceptions (class 22) and
 * integrity violations (class 23) that input validation should have caught are answered as
 * the client's problem (400, 409) rather than a 500; they are logged so the gap is closed.
 */
export function databaseProblem(error: unknown): AppError | undefined {
  const code = postgresCode(error);
  if (code === undefined) return undefined;
  if (CONNECTION_CODES.has(code) || TRANSIENT_STATES.test(code)) {
    return new AppError(
      'unavailable',
      'The database is unavailable or busy; retry shortly.',
      undefined,
      DATABASE_RETRY_AFTER_SECONDS,
    );
  }
  if (code.startsWith('22')) {
    return new AppError('validation_failed', 'A value in the request cannot be stored.');
  }
  if (code.startsWith('23')) {
    return new AppError('conflict', 'The request conflicts with stored data.');
  }
  return undefined;
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
